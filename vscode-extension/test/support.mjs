// Shared by the node tests: the Python under test, and paths inside the extension.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The extension's root folder (where package.json is). */
export const EXTENSION_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Small Python programs the adapter tests debug, one per scenario. */
export const DATA_DIR = path.join(EXTENSION_ROOT, 'test', 'data');

/**
 * The interpreter that runs monadapter in these tests: $MONADAPTER_PYTHON, which CI points at
 * a venv with monadapter installed. No default: a guess would test some other Python.
 */
export function monadapterPython() {
    const python = process.env.MONADAPTER_PYTHON;
    if (!python) {
        throw new Error(
            'MONADAPTER_PYTHON is not set: point it at a Python 3.12+ that has monadapter installed, ' +
                'e.g. MONADAPTER_PYTHON=$PWD/../.venv/bin/python npm test',
        );
    }
    return python;
}
