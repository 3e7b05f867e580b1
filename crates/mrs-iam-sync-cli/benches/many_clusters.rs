//! `mrs-iam-sync status` over 10,000 clusters at concurrency 1, 8, 32 and
//! 128: the CLI's own path (argument parsing, credentials, signing, the
//! bounded concurrent stream, JSON lines), against the loopback server
//! running in this process. Criterion reports clusters per second; the
//! ratio to concurrency 1 is the speed-up (`cargo xtask bench` prints it).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use mrs_iam_sync_server::{Config, DEMO_AK, DEMO_PROJECT_ID, DEMO_SK, Server};

const CLUSTERS: usize = 10_000;

fn many_clusters(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let ids: Vec<String> = (0..CLUSTERS).map(|i| format!("cluster-{i:05}")).collect();
    let config = Config {
        clusters: ids.clone(),
        ..Config::default()
    };
    let server = runtime
        .block_on(Server::start(config, "127.0.0.1:0".parse().expect("addr")))
        .expect("server starts");
    let file = std::env::temp_dir().join(format!("mrs-iam-sync-bench-{}.txt", std::process::id()));
    std::fs::write(&file, ids.join("\n")).expect("write the cluster list");

    let mut group = c.benchmark_group("many_clusters");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(15));
    group.throughput(Throughput::Elements(CLUSTERS as u64));
    for concurrency in [1, 8, 32, 128] {
        group.bench_with_input(
            BenchmarkId::new("status", concurrency),
            &concurrency,
            |b, &concurrency| {
                b.iter_custom(|iterations| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iterations {
                        let started = Instant::now();
                        let status = Command::new(env!("CARGO_BIN_EXE_mrs-iam-sync"))
                            .args([
                                "--endpoint",
                                &server.base_url(),
                                "--json",
                                "status",
                                "--concurrency",
                            ])
                            .arg(concurrency.to_string())
                            .arg("--clusters-file")
                            .arg(&file)
                            .env_clear()
                            .env("HUAWEICLOUD_SDK_AK", DEMO_AK)
                            .env("HUAWEICLOUD_SDK_SK", DEMO_SK)
                            .env("HUAWEICLOUD_SDK_PROJECT_ID", DEMO_PROJECT_ID)
                            .env("HOME", "/nonexistent")
                            .stdout(Stdio::null())
                            .status()
                            .expect("the CLI runs");
                        total += started.elapsed();
                        assert!(status.success(), "status failed: {status}");
                    }
                    total
                });
            },
        );
    }
    group.finish();
    let _ = std::fs::remove_file(&file);
    drop(server);
}

criterion_group!(benches, many_clusters);
criterion_main!(benches);
