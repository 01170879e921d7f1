/** Completes debug configurations and checks their Python before a monadapter session starts. */
import * as vscode from 'vscode';
import { completeConfiguration, currentFileConfiguration } from './configuration';
import { choosePython, configuredPython, probePython, type PythonCommand } from './interpreter';
import { hasPythonExtension, selectedInterpreter } from './pythonExtension';

const SELECT_INTERPRETER = 'Select Interpreter';

/**
 * The Python command for a configuration: its `python`, else the Python extension's
 * selected interpreter, else `python3`. Shared with the descriptor factory so both agree.
 */
export async function pythonFor(
    config: vscode.DebugConfiguration,
    folder: vscode.WorkspaceFolder | undefined,
    log: vscode.LogOutputChannel,
): Promise<PythonCommand> {
    // Ask the Python extension only when needed: activating it can take a while.
    return configuredPython(config.python) ?? choosePython(undefined, await selectedInterpreter(folder?.uri, log));
}

export class ConfigurationProvider implements vscode.DebugConfigurationProvider {
    constructor(private readonly log: vscode.LogOutputChannel) {}

    /** Entries for a new launch.json, and the "Python (monadapter)" list in the Run view. */
    provideDebugConfigurations(): vscode.DebugConfiguration[] {
        return [currentFileConfiguration() as vscode.DebugConfiguration];
    }

    /** Fills defaults (empty -> current file) before `${...}` variables are substituted. */
    resolveDebugConfiguration(
        _folder: vscode.WorkspaceFolder | undefined,
        config: vscode.DebugConfiguration,
    ): vscode.DebugConfiguration | undefined {
        const completion = completeConfiguration(config, vscode.window.activeTextEditor?.document.languageId);
        if ('error' in completion) {
            void vscode.window.showErrorMessage(completion.error);
            return undefined; // undefined aborts the launch quietly; our message says why
        }
        return completion.config as vscode.DebugConfiguration;
    }

    /**
     * Checks the interpreter once `python` is final (e.g. `${workspaceFolder}/.venv/bin/python`
     * substituted), and records it in `python` so the adapter runs the debuggee with it too.
     */
    async resolveDebugConfigurationWithSubstitutedVariables(
        folder: vscode.WorkspaceFolder | undefined,
        config: vscode.DebugConfiguration,
    ): Promise<vscode.DebugConfiguration | undefined> {
        if (typeof config.debugServer === 'number') {
            // VS Code then connects to that port and starts no adapter (a "debugServer" attribute
            // takes precedence over the descriptor factory), so there is no interpreter to check.
            return config;
        }
        const command = await pythonFor(config, folder, this.log);
        const probe = await probePython(command, { cwd: folder?.uri.fsPath });
        if (!probe.ok) {
            this.log.error(probe.message);
            const actions = hasPythonExtension() ? [SELECT_INTERPRETER] : [];
            void vscode.window.showErrorMessage(probe.message, ...actions).then((choice) => {
                if (choice === SELECT_INTERPRETER) {
                    void vscode.commands.executeCommand('python.setInterpreter');
                }
            });
            return undefined;
        }
        this.log.info(`Using ${command.executable} (Python ${probe.version.join('.')}, from ${command.source}).`);
        return { ...config, python: command.args.length > 0 ? [command.executable, ...command.args] : command.executable };
    }
}
