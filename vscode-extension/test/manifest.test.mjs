// package.json's debugger contribution: the schema VS Code validates launch.json against.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';

import { currentFileConfiguration, DEBUG_FILE_COMMAND, DEBUG_TYPE, debugFileConfiguration } from '../out/configuration.js';
import { EXTENSION_ROOT } from './support.mjs';

const manifest = JSON.parse(readFileSync(path.join(EXTENSION_ROOT, 'package.json'), 'utf8'));
const [debuggerEntry] = manifest.contributes.debuggers;
// launch starts the program; attach connects to one that listens (`python -m monadapter --listen`,
// monadapter.listen) or attaches to a running process by id.
const REQUESTS = ['launch', 'attach'];
/** Keys VS Code itself puts in every configuration; they are not configuration attributes. */
const VSCODE_KEYS = new Set(['type', 'request', 'name']);

/** True when `value` fits the JSON-schema fragment `schema` (the subset package.json uses). */
function fits(schema, value) {
    if (schema.oneOf) {
        return schema.oneOf.filter((option) => fits(option, value)).length === 1;
    }
    if (schema.anyOf) {
        return schema.anyOf.some((option) => fits(option, value));
    }
    if (schema.enum) {
        return schema.enum.includes(value);
    }
    const types = [schema.type].flat();
    const typeOk = types.some((type) => {
        switch (type) {
            case 'string':
                return typeof value === 'string';
            case 'boolean':
                return typeof value === 'boolean';
            case 'integer':
                return Number.isInteger(value);
            case 'number':
                return typeof value === 'number' && Number.isFinite(value);
            case 'null':
                return value === null;
            case 'array':
                return Array.isArray(value) && value.every((item) => !schema.items || fits(schema.items, item));
            case 'object':
                return (
                    typeof value === 'object' &&
                    value !== null &&
                    !Array.isArray(value) &&
                    Object.entries(value).every(([key, item]) => {
                        const property = schema.properties?.[key];
                        if (property) return fits(property, item);
                        if (schema.additionalProperties === false) return false;
                        return typeof schema.additionalProperties !== 'object' || fits(schema.additionalProperties, item);
                    }) &&
                    (schema.required ?? []).every((key) => key in value)
                );
            default:
                throw new Error(`schema type ${type} is not handled by this test`);
        }
    });
    return typeOk;
}

/** Undoes VS Code's snippet escapes: `^"\${file}"` -> `${file}`, `^${2:5678}` -> 5678, `${1:x}` -> `x`. */
function expandSnippetValue(value) {
    if (typeof value === 'object' && value !== null) {
        return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, expandSnippetValue(item)]));
    }
    if (typeof value !== 'string') return value;
    const placeholders = (text) => text.replace(/\$\{\d+:([^}]*)\}/g, '$1').replace(/\\\$/g, '$');
    if (value.startsWith('^')) return JSON.parse(placeholders(value.slice(1)));
    return placeholders(value);
}

describe('debugger contribution', () => {
    test('one debugger of type monadapter for Python files', () => {
        assert.equal(manifest.contributes.debuggers.length, 1);
        assert.equal(debuggerEntry.type, DEBUG_TYPE);
        assert.equal(debuggerEntry.label, 'Python (monadapter)');
        assert.deepEqual(debuggerEntry.languages, ['python']);
        assert.deepEqual(manifest.contributes.breakpoints, [{ language: 'python' }]);
    });

    test('activates when a monadapter session is resolved or listed', () => {
        assert.deepEqual(manifest.activationEvents.sort(), [
            'onCommand:monadapter.pickProcess',
            'onDebugDynamicConfigurations:monadapter',
            'onDebugResolve:monadapter',
        ]);
    });

    test('the editor title offers "Debug Python File" for Python files', () => {
        const [command] = manifest.contributes.commands;
        assert.deepEqual([command.command, command.title], [DEBUG_FILE_COMMAND, 'Debug Python File']);
        const [entry] = manifest.contributes.menus['editor/title/run'];
        assert.equal(entry.command, DEBUG_FILE_COMMAND);
        assert.match(entry.when, /resourceLangId == python/);
        assert.deepEqual(debugFileConfiguration('/home/u/app.py'), {
            ...currentFileConfiguration(),
            name: 'Python (monadapter): Debug Python File',
            program: '/home/u/app.py',
        });
    });

    test('main names the compiled extension', () => {
        assert.ok(existsSync(path.join(EXTENSION_ROOT, manifest.main)), `${manifest.main} missing: run npm run compile`);
    });

    for (const request of REQUESTS) {
        test(`every ${request} attribute has a description and a default that fits its own schema`, () => {
            const properties = debuggerEntry.configurationAttributes[request].properties;
            assert.ok(Object.keys(properties).length > 0);
            for (const [name, schema] of Object.entries(properties)) {
                assert.equal(typeof schema.description, 'string', `${request}.${name} has no description`);
                assert.ok(schema.description.length > 10, `${request}.${name}: description too short`);
                assert.ok('default' in schema, `${request}.${name} has no default`);
                assert.ok(fits(schema, schema.default), `${request}.${name}: default ${JSON.stringify(schema.default)} does not fit`);
                for (const [child, childSchema] of Object.entries(schema.properties ?? {})) {
                    assert.equal(typeof childSchema.description, 'string', `${request}.${name}.${child} has no description`);
                    assert.ok(fits(childSchema, childSchema.default), `${request}.${name}.${child}: bad default`);
                }
            }
        });
    }

    test('`python` is a string or an array, `args` an array or a string, `env` values strings or null', () => {
        const launch = debuggerEntry.configurationAttributes.launch.properties;
        assert.ok(fits(launch.python, '/usr/bin/python3.13'));
        assert.ok(fits(launch.python, ['python3', '-X', 'dev']));
        assert.ok(!fits(launch.python, 3));
        assert.ok(fits(launch.args, ['--verbose', 'x y']));
        assert.ok(fits(launch.args, '--verbose "x y"'), 'a string of arguments is split by a shell, as debugpy does');
        assert.ok(!fits(launch.args, [1]));
        assert.ok(fits(launch.envFile, '${workspaceFolder}/.env'));
        assert.ok(fits(launch.env, { PYTHONPATH: 'src', PYTHONHOME: null }));
        assert.ok(!fits(launch.env, { PORT: 8000 }));
    });
});

describe('initial configurations and snippets', () => {
    const bodies = [
        ...debuggerEntry.initialConfigurations.map((config) => ['initialConfigurations', config]),
        ...debuggerEntry.configurationSnippets.map((snippet) => [snippet.label, expandSnippetValue(snippet.body)]),
    ];

    test('offer current file, module and attach', () => {
        assert.deepEqual(Object.keys(debuggerEntry.configurationAttributes), REQUESTS);
        const labels = debuggerEntry.configurationSnippets.map((snippet) => snippet.label);
        assert.deepEqual(labels, [
            'Python (monadapter): Current File',
            'Python (monadapter): Module',
            'monadapter: Attach to a listening process',
            'monadapter: Attach to a process by id',
        ]);
        for (const snippet of debuggerEntry.configurationSnippets) {
            assert.equal(typeof snippet.description, 'string');
        }
    });

    test('use only attributes of the schema, with values that fit it', () => {
        for (const [where, config] of bodies) {
            assert.equal(config.type, DEBUG_TYPE, where);
            assert.ok(REQUESTS.includes(config.request), where);
            assert.equal(typeof config.name, 'string', where);
            const properties = debuggerEntry.configurationAttributes[config.request].properties;
            for (const [key, value] of Object.entries(config)) {
                if (VSCODE_KEYS.has(key)) continue;
                assert.ok(key in properties, `${where}: ${key} is not a ${config.request} attribute`);
                assert.ok(fits(properties[key], value), `${where}: ${key}=${JSON.stringify(value)} does not fit the schema`);
            }
        }
    });

    test('the launch snippets read the workspace .env file and set justMyCode, as the Python Debugger\'s do', () => {
        for (const snippet of debuggerEntry.configurationSnippets) {
            const body = expandSnippetValue(snippet.body);
            assert.equal(body.justMyCode, true, snippet.label);
            if (body.request === 'launch') assert.equal(body.envFile, '${workspaceFolder}/.env', snippet.label);
        }
    });

    test('the attach snippet connects to localhost:5678, where --listen 5678 waits', () => {
        const [, attach] = bodies.find(([where]) => where === 'monadapter: Attach to a listening process');
        assert.equal(attach.request, 'attach');
        assert.deepEqual(attach.connect, { host: 'localhost', port: 5678 });
        assert.equal(attach.accessToken, 'the token the program printed');
    });

    test('the process-id snippet picks the process, through the extension\'s pickProcess command', () => {
        const [, attach] = bodies.find(([where]) => where === 'monadapter: Attach to a process by id');
        assert.equal(attach.processId, '${command:pickProcess}');
        assert.deepEqual(debuggerEntry.variables, { pickProcess: 'monadapter.pickProcess' });
        const { processId } = debuggerEntry.configurationAttributes.attach.properties;
        assert.ok(fits(processId, 4242));
        assert.ok(fits(processId, '${command:pickProcess}'));
        assert.ok(!fits(processId, true));
    });

    test('pathMappings is a list of {localRoot, remoteRoot} in launch and attach', () => {
        for (const request of REQUESTS) {
            const { pathMappings } = debuggerEntry.configurationAttributes[request].properties;
            assert.ok(fits(pathMappings, [{ localRoot: '${workspaceFolder}', remoteRoot: '/app' }]));
            assert.ok(!fits(pathMappings, [{ localRoot: '/here' }]), 'remoteRoot is required');
            assert.ok(!fits(pathMappings, { localRoot: '/here', remoteRoot: '/app' }), 'a list, not one mapping');
        }
    });

    test('attach.connect needs a port from 1 to 65535, and takes no other keys', () => {
        const { connect } = debuggerEntry.configurationAttributes.attach.properties;
        assert.ok(fits(connect, { port: 5678 }));
        assert.ok(fits(connect, { host: '10.0.0.2', port: 65535 }));
        assert.ok(!fits(connect, { host: 'localhost' }), 'port is required');
        assert.ok(!fits(connect, { port: '5678' }), 'the adapter wants a number, not a string');
        assert.ok(!fits(connect, { prot: 5678, port: 5678 }), 'a misspelt key is flagged');
        assert.deepEqual([connect.properties.port.minimum, connect.properties.port.maximum], [1, 65535]);
    });

    for (const request of REQUESTS) {
        test(`${request}.variablePresentation takes group, inline or hide per kind, and no other keys`, () => {
            const { variablePresentation } = debuggerEntry.configurationAttributes[request].properties;
            assert.ok(fits(variablePresentation, { all: 'inline', special: 'hide', class: 'group' }));
            assert.ok(!fits(variablePresentation, { special: 'hidden' }), 'the adapter refuses other values');
            assert.ok(!fits(variablePresentation, { specials: 'hide' }), 'a misspelt kind is flagged');
        });
    }

    test('the first launch.json entry is what F5 runs without one', () => {
        assert.deepEqual(debuggerEntry.initialConfigurations, [currentFileConfiguration()]);
    });
});
