/** `tributary simulate --contract`: the built CLI starts a misbehaving simulator, or refuses an unknown mode. */
import { describe, expect, it } from 'vitest';
import { runCli, startCli } from '../helpers/cli.js';
import { get, withKey } from '../helpers/simulator.js';

describe('tributary simulate --contract', () => {
  it('serves with the named modes', async () => {
    const { child, done } = startCli([
      'simulate',
      'hellobaton',
      '--records',
      '300',
      '--contract',
      'cap-page-size,count-low',
    ]);
    try {
      const baseUrl = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout!.on('data', (d) => {
          out += d;
          const m = /listening on (\S+)/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.once('exit', (code) => reject(new Error(`simulate exited with ${code}`)));
      });
      const r = await get(withKey(`${baseUrl}tasks/?page_size=100`));
      expect(r.json.results).toHaveLength(25);
      expect(r.json.count).toBe(Math.floor(87 / 2)); // 29% of 300 tasks, halved
    } finally {
      child.kill('SIGTERM');
      await done;
    }
  });

  it('refuses an unknown mode with a usage error naming it (exit 2)', async () => {
    const r = await runCli(['simulate', 'humaans', '--contract', 'cap-page-size,sideways']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--contract: unknown contract mode 'sideways'/);
  });
});
