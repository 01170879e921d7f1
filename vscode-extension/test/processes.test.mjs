// The process picker's parsing of `ps` output: which processes `${command:pickProcess}` offers.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { PS_COMMAND, pythonProcesses } from '../out/processes.js';

const PS_OUTPUT = [
    '    1 /sbin/init',
    '  812 /usr/bin/python3 /srv/app/server.py --port 8000',
    '  901 python3.14 -m worker',
    ' 1200 /home/me/.venv/bin/python manage.py runserver',
    ' 1300 /usr/bin/python3 -m monadapter --port 0',
    ' 1301 /usr/bin/python3 -m monadapter --listen 5678 app.py',
    ' 1400 /usr/bin/pythonista-helper',
    ' 1500 bash -c python3 x.py',
    '',
].join('\n');

describe('process picker', () => {
    test('offers the Python interpreters, with their command lines', () => {
        assert.deepEqual(
            pythonProcesses(PS_OUTPUT).map((item) => item.pid),
            [812, 901, 1200, 1301],
        );
        assert.equal(pythonProcesses(PS_OUTPUT)[0].command, '/usr/bin/python3 /srv/app/server.py --port 8000');
    });

    test('leaves out our own adapters and the process to exclude', () => {
        const pids = pythonProcesses(PS_OUTPUT, 901).map((item) => item.pid);
        assert.ok(!pids.includes(1300), 'an adapter (-m monadapter without --listen) is no program to debug');
        assert.ok(!pids.includes(901));
    });

    test('lists every process with its whole command line', () => {
        assert.deepEqual([...PS_COMMAND], ['ps', '-A', '-ww', '-o', 'pid=,args=']);
    });
});
