// Self time by function from a V8 .cpuprofile (node --cpu-prof writes one per thread):
//   node bench/produce-many/cpu-top.ts FILE.cpuprofile [--top 25]
// Prints the profile's span, the time not idle, and the functions with the most self time.
import { readFileSync } from 'node:fs';

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number; children?: number[] }
interface Profile { nodes: ProfileNode[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] }

const file = process.argv[2];
if (!file) {
  console.error('usage: cpu-top.ts FILE.cpuprofile [--top N]');
  process.exit(2);
}
const topAt = process.argv.indexOf('--top');
const top = topAt > 0 ? Number(process.argv[topAt + 1]) : 25;
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map<number, number>();
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i]!;
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0));
}
const byName = new Map<string, number>();
let idle = 0;
let total = 0;
for (const [id, us] of selfUs) {
  const frame = byId.get(id)!.callFrame;
  total += us;
  if (frame.functionName === '(idle)') { idle += us; continue; }
  const where = frame.url ? `${frame.url.replace(/^.*\/(src|node_modules|bench)\//, '$1/')}:${frame.lineNumber + 1}` : '';
  const key = `${frame.functionName || '(anonymous)'} ${where}`;
  byName.set(key, (byName.get(key) ?? 0) + us);
}
const ms = (us: number) => (us / 1000).toFixed(0).padStart(7);
console.log(`${file}: span ${ms(profile.endTime - profile.startTime)} ms, sampled ${ms(total)} ms, busy ${ms(total - idle)} ms`);
for (const [key, us] of [...byName].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`${ms(us)} ms ${(100 * us / Math.max(1, total - idle)).toFixed(1).padStart(5)}%  ${key}`);
}
