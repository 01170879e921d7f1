// Which names the inline values provider asks VS Code to look up while a thread is paused.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { inlineNames } from '../out/inlineValues.js';

/** The names per 1-based line, as `{line: [names]}`. */
function byLine(source, stoppedLine) {
    const result = {};
    for (const { line, name } of inlineNames(source.split('\n'), stoppedLine - 1)) {
        (result[line + 1] ??= []).push(name);
    }
    return result;
}

const PROGRAM = `import os

LIMIT = 10

def total(items, factor=2):
    """Sum of items times factor."""
    result = 0  # the result so far
    for item in items:
        result += item * factor
    label = f"total {result}"
    print(label, os.sep, key=item)
    return result

def other():
    unused = 1
`;

describe('inlineNames', () => {
    test("the stopped function's names on its lines up to the stop, once per line", () => {
        assert.deepEqual(byLine(PROGRAM, 11), {
            5: ['items', 'factor'],
            7: ['result'],
            8: ['item', 'items'],
            9: ['result', 'item', 'factor'],
            10: ['label'],
            11: ['label', 'os', 'item'],
        });
    });

    test('nothing after the stopped line, nor from another function', () => {
        const names = inlineNames(PROGRAM.split('\n'), 8).map(({ name }) => name);
        assert.ok(!names.includes('label') && !names.includes('unused') && !names.includes('LIMIT'));
    });

    test('columns point at the name on its line', () => {
        const lines = PROGRAM.split('\n');
        for (const { line, start, end, name } of inlineNames(lines, 10)) {
            assert.equal(lines[line].slice(start, end), name);
        }
    });

    test('at module level, the file up to the stop', () => {
        assert.deepEqual(byLine('import os\nfrom a import b\nLIMIT = 10\nx = LIMIT + 1\n', 4), { 3: ['LIMIT'], 4: ['x', 'LIMIT'] });
    });

    test('strings spanning lines, comments, attributes, calls and keywords are left out', () => {
        const source = 'def f(a):\n    s = """one\n    two b\n    """\n    a.b.c = g(a) # c\n    return s if a else None\n';
        assert.deepEqual(byLine(source, 6), { 1: ['a'], 2: ['s'], 5: ['a'], 6: ['s', 'a'] });
    });

    test('a nested function starts its own scope', () => {
        const source = 'def outer(x):\n    y = x\n    def inner(z):\n        return z + 1\n    return inner(y)\n';
        assert.deepEqual(byLine(source, 4), { 3: ['z'], 4: ['z'] });
        assert.deepEqual(byLine(source, 5), { 1: ['x'], 2: ['y', 'x'], 3: ['z'], 4: ['z'], 5: ['y'] });
    });
});
