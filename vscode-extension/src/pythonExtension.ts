/** The interpreter selected in Microsoft's Python extension, read through its public API. */
import * as vscode from 'vscode';
// Types only: the facade's runtime part is these same few lines, and `vsce package
// --no-dependencies` would leave it out of the .vsix anyway.
import type { PythonExtension } from '@vscode/python-extension';

/** Marketplace id of the Python extension (`PVSC_EXTENSION_ID` in @vscode/python-extension). */
export const PYTHON_EXTENSION_ID = 'ms-python.python';

/** True when the Python extension is installed, so "Python: Select Interpreter" exists. */
export function hasPythonExtension(): boolean {
    return vscode.extensions.getExtension(PYTHON_EXTENSION_ID) !== undefined;
}

/**
 * The Python executable the user selected for `resource`'s workspace folder, if any.
 *
 * Returns undefined when the Python extension is missing or fails: the caller then falls
 * back to `python3` on PATH, and the interpreter check says what to do if that is unusable.
 */
export async function selectedInterpreter(
    resource: vscode.Uri | undefined,
    log: vscode.LogOutputChannel,
): Promise<string | undefined> {
    const extension = vscode.extensions.getExtension<PythonExtension>(PYTHON_EXTENSION_ID);
    if (extension === undefined) {
        return undefined;
    }
    try {
        const api = extension.isActive ? extension.exports : await extension.activate();
        const active = api.environments.getActiveEnvironmentPath(resource);
        // `active.path` may be an environment folder; the resolved environment names its executable.
        const resolved = await api.environments.resolveEnvironment(active);
        return resolved?.executable.uri?.fsPath ?? active.path;
    } catch (error) {
        log.warn(`Could not read the selected interpreter from the Python extension: ${String(error)}`);
        return undefined;
    }
}
