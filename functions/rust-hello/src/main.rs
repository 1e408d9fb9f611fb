// rust-hello: the Rust twin of `hello`, an ordinary WASI program on std I/O. The request body is
// the name to greet; it answers exactly as hello.c does: "Hello, <name or world>!\n".
use std::io::{self, Read, Write};

fn main() -> io::Result<()> {
    let mut name = Vec::new();
    io::stdin().read_to_end(&mut name)?;
    while let Some(b'\n' | b'\r') = name.last() {
        name.pop();
    }
    let mut out = io::stdout().lock();
    out.write_all(b"Hello, ")?;
    out.write_all(if name.is_empty() { b"world" } else { &name })?;
    out.write_all(b"!\n")?;
    out.flush()
}
