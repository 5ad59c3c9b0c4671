// `refinery::embed_migrations!` reads the folder at compile time, but a proc macro cannot tell cargo to watch a
// folder: without this, a new migration file is silently left out until something else rebuilds infra.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
