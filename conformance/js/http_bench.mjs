// The Node side of `cargo xtask bench http`: requests per second of Node's built-in `fetch`
// (undici, keep-alive) posting a JSON body and decoding the JSON answer, one request at a time,
// against the same local server the Rust benchmark uses.
// Input: {url, body, warmupSeconds, seconds}. Output: {requests, seconds, rps}.
import { serve } from './lib/driver.mjs';

async function roundTrip(url, body) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  if (res.status !== 200) throw new Error(`status ${res.status}`);
  return res.json();
}

async function loopFor(url, body, seconds) {
  const end = performance.now() + seconds * 1000;
  let requests = 0;
  const start = performance.now();
  while (performance.now() < end) {
    await roundTrip(url, body);
    requests += 1;
  }
  const elapsed = (performance.now() - start) / 1000;
  return { requests, seconds: elapsed, rps: requests / elapsed };
}

await serve(async ({ url, body, warmupSeconds, seconds }) => {
  const text = JSON.stringify(body);
  await loopFor(url, text, warmupSeconds);
  return loopFor(url, text, seconds);
});
