/**
 * Choosing the Python that runs monadapter and checking that it can.
 *
 * This module must not import `vscode`: the node tests load it directly and run the
 * check against real interpreters (see test/interpreter.test.mjs).
 */
import { execFile } from 'node:child_process';

/** Oldest Python monadapter runs on: it is built on PEP 669 `sys.monitoring` (3.12). */
export const MINIMUM_PYTHON: readonly [number, number] = [3, 12];

/** How long the check may take before we call the interpreter unusable (a cold start on a slow disk is ~1 s). */
export const DEFAULT_PROBE_TIMEOUT_MS = 15_000;

/** Where a Python command came from; error messages name it so the user knows what to change. */
export type PythonSource = 'launch configuration' | 'Python extension' | 'PATH';

/**
 * A Python command: the executable plus the arguments that go before `-m monadapter`.
 * launch.json's `python` may be an array such as `["python3", "-X", "dev"]`, as in debugpy.
 */
export interface PythonCommand {
    readonly executable: string;
    readonly args: readonly string[];
    readonly source: PythonSource;
}

/** The result of checking a Python command: usable (with its version) or not (with what to do). */
export type ProbeResult =
    | { readonly ok: true; readonly version: readonly [number, number] }
    | { readonly ok: false; readonly message: string };

/** Executable used when neither the launch configuration nor the Python extension names one. */
export const PATH_FALLBACK = 'python3';

/**
 * The Python command the launch configuration's `python` names, if it names one.
 *
 * Args:
 *   configured: the configuration's `python`: a path, or an array of the path and its options.
 * Returns:
 *   The command, or undefined when `python` is absent, empty or not strings.
 */
export function configuredPython(configured: unknown): PythonCommand | undefined {
    if (typeof configured === 'string' && configured.trim() !== '') {
        return { executable: configured, args: [], source: 'launch configuration' };
    }
    if (Array.isArray(configured) && configured.length > 0 && configured.every((part) => typeof part === 'string')) {
        const [executable, ...args] = configured as string[];
        return { executable, args, source: 'launch configuration' };
    }
    return undefined;
}

/**
 * Picks the Python that runs the adapter, in debugpy's order of precedence.
 *
 * Args:
 *   configured: the launch configuration's `python` (string or array), if any.
 *   selected: the interpreter selected in the Python extension, if it is installed and has one.
 * Returns:
 *   The configured command, else the selected interpreter, else `python3` from PATH.
 */
export function choosePython(configured: unknown, selected: string | undefined): PythonCommand {
    const fromConfiguration = configuredPython(configured);
    if (fromConfiguration !== undefined) {
        return fromConfiguration;
    }
    if (selected !== undefined && selected.trim() !== '') {
        return { executable: selected, args: [], source: 'Python extension' };
    }
    return { executable: PATH_FALLBACK, args: [], source: 'PATH' };
}

/**
 * The probe prints the version before importing monadapter, so a failed import still tells us
 * which Python it was. It is written to parse on Python 2 too, so even that gets a clear message.
 */
const PROBE_SCRIPT =
    'import sys; sys.stdout.write("%d %d\\n" % tuple(sys.version_info[:2])); sys.stdout.flush(); import monadapter';

/** How a Python command is named in messages: as the user would type it. */
function commandLine(command: PythonCommand): string {
    return [command.executable, ...command.args].join(' ');
}

/** Arguments that start the adapter in stdio mode with `command`'s executable. */
export function adapterArgs(command: PythonCommand): string[] {
    return [...command.args, '-m', 'monadapter'];
}

/** Message advice that depends on where the interpreter came from. */
function chooseAnotherAdvice(command: PythonCommand): string {
    switch (command.source) {
        case 'launch configuration':
            return 'Change "python" in the launch configuration';
        case 'Python extension':
            return 'Choose another interpreter with "Python: Select Interpreter", or set "python" in the launch configuration';
        case 'PATH':
            return 'Install the Python extension and choose an interpreter, or set "python" in the launch configuration';
    }
}

/**
 * Judges what the probe printed.
 *
 * Kept apart from `probePython` so the wording of every verdict can be tested without
 * having every kind of broken interpreter at hand.
 *
 * Args:
 *   command: the Python command that was run (named in messages).
 *   exitCode: its exit code.
 *   stdout: what it printed: "MAJOR MINOR" on the first line.
 *   stderr: its error output; the last line is quoted when the import fails.
 */
export function judgeProbe(command: PythonCommand, exitCode: number | null, stdout: string, stderr: string): ProbeResult {
    const name = commandLine(command);
    const match = /^(\d+) (\d+)\s*$/m.exec(stdout);
    if (match === null) {
        const detail = lastLine(stderr) || `exit code ${exitCode}`;
        return {
            ok: false,
            message: `${name} (from ${command.source}) does not look like a working Python: ${detail}. ${chooseAnotherAdvice(command)}.`,
        };
    }
    const version: [number, number] = [Number(match[1]), Number(match[2])];
    const [minMajor, minMinor] = MINIMUM_PYTHON;
    if (version[0] < minMajor || (version[0] === minMajor && version[1] < minMinor)) {
        return {
            ok: false,
            message:
                `monadapter needs Python ${minMajor}.${minMinor} or newer; ${name} (from ${command.source}) is ` +
                `${version[0]}.${version[1]}. ${chooseAnotherAdvice(command)}.`,
        };
    }
    if (exitCode !== 0) {
        return {
            ok: false,
            message:
                `monadapter is not installed for ${name} (Python ${version[0]}.${version[1]}, from ${command.source}): ` +
                `${lastLine(stderr) || `exit code ${exitCode}`}. monadapter is not on PyPI: install it from a clone of its ` +
                `repository, "${name} -m pip install /path/to/monadapter", or from a wheel built there, ` +
                `or ${lowerFirst(chooseAnotherAdvice(command))}.`,
        };
    }
    return { ok: true, version };
}

/**
 * Runs `command` to check it is Python 3.12+ with monadapter importable.
 *
 * Args:
 *   command: the Python command to check.
 *   options.cwd: where to run it: the workspace folder, where the adapter runs too, so that a
 *     relative `python` such as `.venv/bin/python` means the same thing to both.
 *   options.timeoutMs: how long it may take; an interpreter that hangs is reported, not waited for.
 * Returns:
 *   `ok` with the version, or a message that says what is wrong and what to do. Never rejects.
 */
export function probePython(
    command: PythonCommand,
    { cwd, timeoutMs = DEFAULT_PROBE_TIMEOUT_MS }: { cwd?: string; timeoutMs?: number } = {},
): Promise<ProbeResult> {
    const name = commandLine(command);
    return new Promise((resolve) => {
        execFile(
            command.executable,
            [...command.args, '-c', PROBE_SCRIPT],
            { cwd, timeout: timeoutMs, killSignal: 'SIGKILL', windowsHide: true },
            (error, stdout, stderr) => {
                if (error !== null && typeof error.code === 'string') {
                    // A string code is a spawn failure (ENOENT, EACCES): nothing ran at all.
                    resolve({
                        ok: false,
                        message:
                            `Cannot run ${name} (from ${command.source}): ${error.code === 'ENOENT' ? 'not found' : error.code}. ` +
                            `${chooseAnotherAdvice(command)}.`,
                                });
                    return;
                }
                if (error !== null && error.killed) {
                    resolve({
                        ok: false,
                        message:
                            `${name} (from ${command.source}) did not answer within ${timeoutMs / 1000} s ` +
                            `when asked for its version. ${chooseAnotherAdvice(command)}.`,
                                });
                    return;
                }
                const exitCode = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
                resolve(judgeProbe(command, exitCode, stdout, stderr));
            },
        );
    });
}

function lastLine(text: string): string {
    const lines = text.trim().split(/\r?\n/);
    return lines[lines.length - 1].trim();
}

function lowerFirst(text: string): string {
    return text.charAt(0).toLowerCase() + text.slice(1);
}
