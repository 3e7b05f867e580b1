//! Huawei Cloud API authentication (work in progress).
