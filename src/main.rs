// mimalloc instead of glibc's malloc: answers are built and dropped at tens of thousands a
// second, and glibc's free-list upkeep (`malloc_consolidate`, `unlink_chunk`) showed as a
// large share of a bench's cycles (benches/README.md has the measurements).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    tgo_console::cli::main()
}
