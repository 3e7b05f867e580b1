//! The canned-JSON server (`mrs_iam_sync_tests::canned`) as a process of its
//! own, for load generators (`cargo xtask bench --wrk`): it prints its base
//! URL on the first line of stdout, then serves on one thread until killed.

use mrs_iam_sync_tests::canned;

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let addr = canned::start().await;
        println!("http://{addr}");
        std::future::pending::<()>().await;
    });
}
