//! Prints the triage explanation of each argument, or of each stdin line: `cargo run -p triage --example
//! explain -- "Need a human"`.

fn main() {
    let triager = triage::Triager::default();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let texts: Vec<String> = if args.is_empty() {
        std::io::stdin().lines().map_while(Result::ok).collect()
    } else {
        args
    };
    for text in texts {
        println!("{}\n", triager.explain(&text));
    }
}
