# Test harness for converge's template compatibility corpus: renders every template of a spec
# file the way ansible-core's `template` action does (plugins/action/template.py in 2.14: a
# Templar copy with AnsibleEnvironment, the search path with `templates/` subdirectories,
# do_template with preserve_trailing_newlines=True and escape_backslashes=False), each with its
# own variables on top of the task's, and writes {id: {ok, output|error}} as JSON. One lookup call
# renders the whole corpus, so one ansible-playbook run does it all.
import json
import os

from ansible.module_utils._text import to_text
from ansible.plugins.lookup import LookupBase
from ansible.template import AnsibleEnvironment, generate_ansible_template_vars


def error_line(e):
    # The template line of a syntax error (Jinja2's TemplateSyntaxError.lineno, kept by Ansible's
    # AnsibleError as orig_exc); run-time errors carry no line in Ansible's message.
    seen = set()
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(getattr(e, 'lineno', None), int):
            return e.lineno
        e = getattr(e, 'orig_exc', None) or e.__cause__ or e.__context__
    return None


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        with open(terms[0]) as f:
            spec = json.load(f)
        results = {}
        for case in spec['cases']:
            source = os.path.join(spec['dir'], case['id'] + '.j2')
            with open(source, 'rb') as f:
                data = to_text(f.read(), errors='surrogate_or_strict')
            searchpath = []
            for p in list(variables.get('ansible_search_path', [])) + [spec['base'], spec['dir']]:
                searchpath.extend([os.path.join(p, 'templates'), p])
            tvars = dict(variables)
            tvars.update(generate_ansible_template_vars(source, source))
            # Variables as JSON, or as YAML read by Ansible's own loader (as a vars file or task vars are).
            tvars.update(self._loader.load(case['yaml']) or {} if 'yaml' in case else json.loads(case['vars']))
            templar = self._templar.copy_with_new_env(environment_class=AnsibleEnvironment, searchpath=searchpath, available_variables=tvars)
            # lookup() inside the template runs on the task's Templar, so it sees these variables too.
            saved = self._templar.available_variables
            self._templar.available_variables = tvars
            try:
                out = templar.do_template(data, preserve_trailing_newlines=True, escape_backslashes=False)
                results[case['id']] = {'ok': True, 'output': to_text(out)}
            except Exception as e:  # every failure is a result to compare
                results[case['id']] = {'ok': False, 'error': to_text(e), 'type': type(e).__name__, 'line': error_line(e)}
            finally:
                self._templar.available_variables = saved
        with open(spec['out'], 'w') as f:
            json.dump(results, f)
        return ['done']
