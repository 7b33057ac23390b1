/**
 * Worker-thread side of the render pool (pool.ts): receives batches of render jobs, answers with
 * the images in the same order. Each body is copied into its own ArrayBuffer and transferred, so
 * nothing larger than the image crosses the thread boundary.
 */
import { parentPort } from 'node:worker_threads';
import type { RenderBatch, RenderReply } from './pool.js';
import { renderImage } from './render.js';

const port = parentPort;
if (port === null) throw new Error('render-worker.ts must run in a worker thread');

port.on('message', (batch: RenderBatch) => {
  const results: RenderReply['results'] = [];
  const transfer: ArrayBuffer[] = [];
  for (const job of batch.jobs) {
    try {
      const { body, etag } = renderImage(job.token, job.options, job.errorCorrection);
      const copy = new Uint8Array(body);
      transfer.push(copy.buffer);
      results.push({ ok: true, body: copy, etag });
    } catch (error) {
      results.push({ ok: false, error: error instanceof Error ? error.message : String(error) });
    }
  }
  const reply: RenderReply = { id: batch.id, results };
  port.postMessage(reply, transfer);
});
