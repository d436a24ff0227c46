/**
 * The alert rules (ops/prometheus/alerts.yml) as Prometheus's own tool reads them: `promtool check rules`
 * (syntax, PromQL, templates) and `promtool test rules` (each alert fires on the series that should fire it,
 * not before its `for`, not on healthy ones). promtool comes with Debian's prometheus package, which
 * scripts/provision.sh installs.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
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

test("the Grafana dashboard's queries are valid PromQL over metrics CTICloud serves", async () => {
  const dashboard = JSON.parse(readFileSync(path.join(DIR, '../grafana/cticloud-overview.json'), 'utf8')) as {
    panels: { title: string; targets: { expr: string }[] }[];
  };
  const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
  expect(exprs.length).toBe(dashboard.panels.length);
  // promtool checks PromQL in rule files only: each query becomes a recording rule of a scratch file.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cticloud-dashboard-'));
  try {
    const rules = {
      groups: [
        { name: 'dashboard', rules: exprs.map((expr, i) => ({ record: `dashboard:panel_${i}`, expr })) },
      ],
    };
    writeFileSync(path.join(dir, 'dashboard.yml'), JSON.stringify(rules));
    expect(
      execFileSync('promtool', ['check', 'rules', 'dashboard.yml'], { cwd: dir, encoding: 'utf8' }),
    ).toMatch(new RegExp(`SUCCESS: ${exprs.length} rules found`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // Every metric a panel reads is one the stack serves (named in docs/operations.md).
  const docs = readFileSync(path.join(DIR, '../../docs/operations.md'), 'utf8');
  const names = new Set(exprs.flatMap((e) => e.match(/\b(cticloud|http|temporal|asterisk)_[a-z_]+/g) ?? []));
  const undocumented = [...names]
    .map((n) => n.replace(/_(bucket|count|sum)$/, ''))
    .filter((n) => !docs.includes(`\`${n}`));
  expect(undocumented).toEqual([]);
});
