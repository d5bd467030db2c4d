import { test } from 'vitest';
import { renderTemplate } from './index.js';
test('smoke', () => {
  const v = { x: 'hi', n: null, l: ['a', 1, "it's", 'q"', true, null, 'ü\n'], d: { a: 1, b: [2] }, s: {} };
  for (const t of ['a {{ x }}\n', '{{ n }}|{{ l }}|{{ d }}|{{ 10/2 }}|{{ s.b is defined }}|{{ u.b.c is defined }}|{{ x.0 }}|{{ 2.0 }}\n', '{% for k, v in d.items() %}{{ loop.index }}{{ k }}={{ v }}{% if not loop.last %},{% endif %}{% endfor %}\n', '{{ "%s-%05d" % (x, 42) }} {{ x ~ 1 }} {{ x.upper() }} {{ [] if x else 1 }}{% if [] %}T{% else %}F{% endif %}\n', 'a\n{% if true %}\nb\n{% endif %}\n\n\n']) {
    console.log(JSON.stringify(renderTemplate(t, v, { file: 't.j2' })));
  }
  for (const t of ['x\n{{ port }}', '{% if y %}{% endif %}', '{% for i in z %}{% endfor %}', '\n\n{{ d.nokey }}', '{{ d.a.b.c }}']) {
    try { renderTemplate(t, v, { file: 'e.j2' }); console.log('NO ERROR', t); } catch (e) { console.log((e as Error).message); }
  }
});
