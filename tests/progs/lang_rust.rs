// Rust std threads (std blocks in syscall(SYS_futex,
// FUTEX_WAIT_BITSET|FUTEX_PRIVATE_FLAG) since 1.62): 5 blocked in
// Condvar::wait, 3 in Mutex::lock on a mutex main holds, 2 in mpsc
// Receiver::recv. The recognisable functions are #[no_mangle] so their
// names are plain whatever the toolchain's mangling scheme.
use std::io::Write;
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::Duration;

#[no_mangle]
#[inline(never)]
pub fn rust_condvar_waiter(pair: Arc<(Mutex<bool>, Condvar)>) {
    let (lock, cvar) = &*pair;
    let mut go = lock.lock().unwrap();
    while !*go {
        go = cvar.wait(go).unwrap();
    }
}

#[no_mangle]
#[inline(never)]
pub fn rust_mutex_waiter(held: Arc<Mutex<u32>>) {
    let guard = held.lock().unwrap();
    drop(guard);
}

#[no_mangle]
#[inline(never)]
pub fn rust_channel_waiter(rx: mpsc::Receiver<u32>) {
    let _ = rx.recv();
}

// Loop bounds the compiler cannot see, so it does not unroll the loops (each
// unrolled copy would be a call site, its threads a group). A volatile read,
// not std::hint::black_box: that needs Rust 1.66, Debian 12 has 1.63.
#[inline(never)]
fn opaque(n: u32) -> u32 {
    unsafe { std::ptr::read_volatile(&n) }
}

#[no_mangle]
#[inline(never)]
pub fn spawn_rust_threads(
    pair: &Arc<(Mutex<bool>, Condvar)>,
    held: &Arc<Mutex<u32>>,
    senders: &mut Vec<mpsc::Sender<u32>>,
) {
    for _ in 0..opaque(5) {
        let p = Arc::clone(pair);
        thread::spawn(move || rust_condvar_waiter(p));
    }
    for _ in 0..opaque(3) {
        let h = Arc::clone(held);
        thread::spawn(move || rust_mutex_waiter(h));
    }
    for _ in 0..opaque(2) {
        let (tx, rx) = mpsc::channel();
        senders.push(tx);
        thread::spawn(move || rust_channel_waiter(rx));
    }
}

fn main() {
    let pair = Arc::new((Mutex::new(false), Condvar::new()));
    let held = Arc::new(Mutex::new(0u32));
    let mut senders = Vec::new();
    let guard = held.lock().unwrap();
    spawn_rust_threads(&pair, &held, &mut senders);
    thread::sleep(Duration::from_millis(300));
    println!("ready");
    std::io::stdout().flush().unwrap();
    let _keep = (guard, senders);
    loop {
        thread::sleep(Duration::from_secs(3600));
    }
}
