/**
 * The alert rules (ops/prometheus/alerts.yml) as Prometheus's own tool reads them: `promtool check rules`
 * (syntax, PromQL, templates) and `promtool test rules` (each alert fires on the series that should fire it,
 * not before its `for`, not on healthy ones). promtool comes with Debian's prometheus package, which
 * scripts/provision.sh installs.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const DIR = path.join(__dirname, '../../ops/prometheus');
const promtool = (...args: string[]) =>
  execFileSync('promtool', args, { cwd: DIR, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

test('the alert rules pass promtool check rules', () => {
  expect(promtool('check', 'rules', 'alerts.yml')).toMatch(/SUCCESS: \d+ rules found/);
});

test("the alert rules' unit tests pass (promtool test rules)", () => {
  expect(promtool('test', 'rules', 'alerts.test.yml')).toMatch(/SUCCESS/);
});
