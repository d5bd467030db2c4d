// One measurement process of `pnpm bench:templates`: imports the built @converge/template of one
// checkout and renders every template of a directory (each with its .vars.yml), first cold
// (parse, compile, render), then `passes` more times warm (compiled code cached). Prints JSON:
// { templates, coldMs, warmMs: [per pass], cpuMs }.
// usage: node bench/lib/render-templates.mjs CHECKOUT FIXTURES_DIR PASSES
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [checkout, dir, passesArg] = process.argv.slice(2);
const entry = ['dist/index.bundle.js', 'dist/index.js'].map((f) => join(checkout, 'packages/template', f)).find((f) => existsSync(f));
if (!entry) throw new Error(`${checkout}: packages/template is not built (pnpm run build)`);
const { renderTemplate, parseYamlVars } = await import(pathToFileURL(entry).href);
const names = readdirSync(dir).filter((f) => f.endsWith('.j2')).map((f) => f.slice(0, -3)).sort();
const cases = names.map((n) => {
  const varsFile = join(dir, `${n}.vars.yml`);
  return { name: n, source: readFileSync(join(dir, `${n}.j2`), 'utf8'), vars: (existsSync(varsFile) ? parseYamlVars(readFileSync(varsFile, 'utf8')) : {}) ?? {} };
});
const pass = () => {
  const t = performance.now();
  for (const c of cases) renderTemplate(c.source, c.vars, { file: `${c.name}.j2`, searchPaths: [dir] });
  return performance.now() - t;
};
const cpu0 = process.cpuUsage();
const coldMs = pass();
const warmMs = Array.from({ length: Number(passesArg ?? 20) }, pass);
const cpu = process.cpuUsage(cpu0);
process.stdout.write(JSON.stringify({ templates: cases.length, coldMs, warmMs, cpuMs: (cpu.user + cpu.system) / 1000 }));
