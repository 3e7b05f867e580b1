#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    mrs_iam_sync_fuzz::response_decoding(data);
});
