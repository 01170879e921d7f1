/** Entry point of the VS Code extension: registers the monadapter debug type's providers and the process picker. */
import { execFile } from 'node:child_process';
import * as vscode from 'vscode';
import { DEBUG_FILE_COMMAND, DEBUG_TYPE, debugFileConfiguration } from './configuration';
import { ConfigurationProvider } from './configurationProvider';
import { DescriptorFactory } from './descriptorFactory';
import { InlineValuesProvider } from './inlineValuesProvider';
import { PS_COMMAND, pythonProcesses } from './processes';

export function activate(context: vscode.ExtensionContext): void {
    const log = vscode.window.createOutputChannel('Python (monadapter)', { log: true });
    const provider = new ConfigurationProvider(log);
    context.subscriptions.push(
        log,
        // Initial: fills a new launch.json, and resolves every monadapter configuration.
        vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, provider, vscode.DebugConfigurationProviderTriggerKind.Initial),
        // Dynamic: lists "Current File" under Run and Debug. A separate object with no resolve
        // methods, since VS Code runs the resolvers of every registration and would check twice.
        vscode.debug.registerDebugConfigurationProvider(
            DEBUG_TYPE,
            { provideDebugConfigurations: () => provider.provideDebugConfigurations() },
            vscode.DebugConfigurationProviderTriggerKind.Dynamic,
        ),
        vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, new DescriptorFactory(log, context.logUri)),
        vscode.languages.registerInlineValuesProvider({ language: 'python' }, new InlineValuesProvider()),
        // The editor title's run menu: debug the file shown (saved first, as F5 does), no launch.json needed.
        vscode.commands.registerCommand(DEBUG_FILE_COMMAND, async (resource?: vscode.Uri) => {
            const uri = resource ?? vscode.window.activeTextEditor?.document.uri;
            if (uri === undefined) {
                void vscode.window.showErrorMessage('Open a Python file to debug it.');
                return;
            }
            const document = vscode.workspace.textDocuments.find((open) => open.uri.toString() === uri.toString());
            if (document?.isDirty) {
                await document.save();
            }
            await vscode.debug.startDebugging(
                vscode.workspace.getWorkspaceFolder(uri),
                debugFileConfiguration(uri.fsPath) as vscode.DebugConfiguration,
            );
        }),
        // `${command:pickProcess}` in an attach configuration (package.json's debugger `variables`).
        vscode.commands.registerCommand('monadapter.pickProcess', pickProcess),
    );
}

export function deactivate(): void {}

/** Asks the user for a Python process; its id as text (what the variable becomes), undefined if cancelled. */
async function pickProcess(): Promise<string | undefined> {
    const [command, ...args] = PS_COMMAND;
    const output = await new Promise<string>((resolve, reject) =>
        execFile(command, args, { maxBuffer: 16 * 1024 * 1024 }, (error, stdout) => (error ? reject(error) : resolve(stdout))),
    ).catch((error: Error) => {
        void vscode.window.showErrorMessage(`Cannot list processes (${command}): ${error.message}`);
        return undefined;
    });
    if (output === undefined) return undefined;
    const items = pythonProcesses(output, process.pid).map((item) => ({
        label: String(item.pid),
        description: item.command,
        pid: item.pid,
    }));
    const picked = await vscode.window.showQuickPick(items, {
        title: 'Attach to a Python 3.14+ process',
        placeHolder: 'Pick the process to debug (by id or command line)',
        matchOnDescription: true,
    });
    return picked === undefined ? undefined : String(picked.pid);
}
