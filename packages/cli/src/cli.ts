#!/usr/bin/env node
import { run } from './run.js';

const command = await run(process.argv.slice(2), process);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void command.stop();
  });
}
process.exitCode = await command.exitCode;
