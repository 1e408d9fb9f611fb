//! rust-counter: the Rust twin of `counter`, on the `intravisor` SDK. Adds one to the count of the
//! name in the request body (default "visits") in the key-value store "counters" and answers the
//! new count, in the same format as counter.c. The increment is atomic and durable when the call
//! returns, whichever compartment or node makes it.
use intravisor::{kv, request, response, Error, Result};

const STORE: &str = "counters";

/// Once per compartment: the allocator takes its memory before the snapshot, so an invocation's
/// few allocations do not grow memory (which would keep the compartment from being reused).
fn init() -> Result<()> {
    intravisor::reserve_heap(16 << 10);
    Ok(())
}

fn handle() -> Result<()> {
    if request::len() > 512 {
        response::status(400)?;
        return response::write_str("a name is at most 512 bytes\n");
    }
    let mut name = request::read_all()?;
    if name.is_empty() {
        name = b"visits".to_vec();
    }
    match kv::incr(STORE, &name, 1) {
        Ok(count) => {
            response::header("Content-Type", "text/plain")?;
            response::write_str(&format!("{}\n", count))
        }
        Err(error) => {
            response::status(if error == Error::Invalid { 400 } else { 503 })?;
            response::write_str(&format!("counter: {}\n", error.as_str()))
        }
    }
}

intravisor::init!(init);
intravisor::entry!(handle);
