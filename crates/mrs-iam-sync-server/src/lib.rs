//! Loopback MRS server (work in progress).
