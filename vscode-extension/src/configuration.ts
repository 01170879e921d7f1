/**
 * Default debug configurations and the rules that complete a user's one before it reaches the adapter.
 *
 * No `vscode` import here either: node tests check these rules directly.
 */

/** The debug type contributed in package.json. */
export const DEBUG_TYPE = 'monadapter';

/** The editor-title command contributed in package.json ("Debug Python File"). */
export const DEBUG_FILE_COMMAND = 'monadapter.debugPythonFile';

/** The subset of `vscode.DebugConfiguration` these rules read and write. */
export interface Configuration {
    type?: string;
    name?: string;
    request?: string;
    [key: string]: unknown;
}

/** What `completeConfiguration` decided: the configuration to run, or why it cannot run. */
export type Completion = { readonly config: Configuration } | { readonly error: string };

/** "Current file": what F5 runs with no launch.json, and the first entry of a new launch.json. */
export function currentFileConfiguration(): Configuration {
    return {
        type: DEBUG_TYPE,
        request: 'launch',
        name: 'Python (monadapter): Current File',
        program: '${file}',
        // As debugpy's: the program can read stdin, which the Debug Console cannot give it.
        console: 'integratedTerminal',
    };
}

/** What the editor-title "Debug Python File" action runs: "Current File" for the file at `path`. */
export function debugFileConfiguration(path: string): Configuration {
    return { ...currentFileConfiguration(), name: 'Python (monadapter): Debug Python File', program: path };
}

/**
 * Fills in what VS Code leaves out before variables are substituted.
 *
 * An empty configuration (F5 without launch.json) becomes "Current File" when a Python file is
 * open. A launch without `program`, `module` or `code`, or an attach without a port, is refused
 * here, with a message, because the adapter would only fail later with a less helpful one. Values
 * are not checked: `${input:...}` variables are still unsubstituted at this point.
 *
 * Args:
 *   config: the configuration VS Code resolved so far (not modified).
 *   activeLanguageId: language of the active editor, if any.
 * Returns:
 *   The completed configuration, or an error message to show.
 */
export function completeConfiguration(config: Configuration, activeLanguageId: string | undefined): Completion {
    const isEmpty = config.type === undefined && config.request === undefined && config.name === undefined;
    if (isEmpty) {
        if (activeLanguageId !== 'python') {
            return { error: 'Open a Python file to debug it, or add a "monadapter" configuration to launch.json.' };
        }
        return { config: currentFileConfiguration() };
    }
    const completed: Configuration = { ...config, type: config.type ?? DEBUG_TYPE, request: config.request ?? 'launch' };
    if (completed.request === 'launch') {
        const targets = ['program', 'module', 'code'].filter((key) => isSet(completed[key]));
        if (targets.length === 0) {
            return { error: 'Set "program", "module" or "code" in the launch configuration: there is nothing to run.' };
        }
        if (targets.length > 1) {
            return { error: `Set only one of "program", "module" and "code" in the launch configuration (found ${targets.join(', ')}).` };
        }
    }
    if (completed.request === 'attach' && !attachHasPort(completed) && !isSet(completed.processId)) {
        return {
            error:
                'Set "connect": {"host": "localhost", "port": PORT} in the attach configuration, where PORT is the ' +
                'one the program listens on (python -m monadapter --listen PORT PROGRAM, or monadapter.listen(PORT)), ' +
                'or "processId": "${command:pickProcess}" to attach to a running Python 3.14+ process.',
        };
    }
    return { config: completed };
}

/** An attach names its port in `connect.port`, or (debugpy's older form) `port` when there is no `connect`. */
function attachHasPort(config: Configuration): boolean {
    const connect = config.connect;
    if (connect === undefined || connect === null) {
        return isSet(config.port);
    }
    return typeof connect === 'object' && isSet((connect as Record<string, unknown>).port);
}

function isSet(value: unknown): boolean {
    return value !== undefined && value !== null && value !== '';
}
