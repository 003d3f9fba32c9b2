// Child-process entry: `node --import tsx bench/worker.ts '<job json>'`. Runs one job in this
// fresh process and prints its result as one marked line.
import { runJob } from './job.js';
import { decodeJob, formatResultLine } from './protocol.js';

const text = process.argv[2];
if (text === undefined) {
  console.error('usage: node --import tsx bench/worker.ts \'{"benchmark":"w1-train","peer":"tfjs-cpu",...}\'');
  process.exit(2);
}
const result = await runJob(decodeJob(text));
process.stdout.write(formatResultLine(result));
// tfjs-wasm and onnxruntime keep handles open; the result is out, so leave now.
process.exit(0);
