// A Node.js service under threadleak run, by argv[2]:
//   clean  worker_threads that finish, fs and crypto on libuv's pool
//   leak   a worker per request every 50 ms, never terminated (process.exit ends them)
// argv[3]: run time in ms (default 3000 for leak, 1000 for clean).
const { Worker, isMainThread, parentPort, workerData } = require('worker_threads');
const fs = require('fs');
const crypto = require('crypto');

if (!isMainThread) {
    parentPort.postMessage(workerData * 2);
    if (workerData >= 0) setInterval(() => {}, 1000); // a leaked worker stays alive
    return;
}
const mode = process.argv[2] || 'clean';
const ms = Number(process.argv[3] || (mode === 'leak' ? 3000 : 1000));
const kept = [];
function request(i, keep) {
    return new Promise((resolve) => {
        const w = new Worker(__filename, { workerData: keep ? i : -1 });
        w.once('message', (v) => { if (keep) kept.push(w); resolve(v); });
    });
}
async function main() {
    const end = Date.now() + ms;
    let i = 0;
    if (mode === 'leak') {
        while (Date.now() < end) { await request(i++, true); await new Promise(r => setTimeout(r, 50)); }
        console.log('served', i);
        process.exit(0);
    }
    await Promise.all([request(1, false), request(2, false), request(3, false)]);
    while (Date.now() < end) {
        await fs.promises.readFile(__filename);
        await new Promise((r) => crypto.pbkdf2('pw', 'salt', 1000, 32, 'sha256', r));
        await new Promise(r => setTimeout(r, 50));
        i++;
    }
    console.log('served', i);
}
main();
