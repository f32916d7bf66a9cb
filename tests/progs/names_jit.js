// Node with --perf-basic-prof --interpreted-frames-native-stack: the main thread blocks (Atomics.wait) under
// JavaScript functions whose code V8 compiled into anonymous memory; the
// dump names them from /tmp/perf-PID.map.
function blockHereInJs() {
    const a = new Int32Array(new SharedArrayBuffer(4));
    return Atomics.wait(a, 0, 0, 60000);
}
function outerJs() {
    console.log('ready');
    return blockHereInJs();
}
outerJs();
