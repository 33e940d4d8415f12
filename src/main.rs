fn main() -> std::process::ExitCode {
    tgo_console::cli::main()
}
