/** Starts the adapter, `python -m monadapter` over stdio, for each monadapter debug session. */
import * as vscode from 'vscode';
import { pythonFor } from './configurationProvider';
import { adapterArgs } from './interpreter';

export class DescriptorFactory implements vscode.DebugAdapterDescriptorFactory {
    constructor(
        private readonly log: vscode.LogOutputChannel,
        private readonly logDirectory: vscode.Uri,
    ) {}

    async createDebugAdapterDescriptor(session: vscode.DebugSession): Promise<vscode.DebugAdapterDescriptor> {
        // The configuration provider already checked this Python and wrote it into `python`.
        const command = await pythonFor(session.configuration, session.workspaceFolder, this.log);
        const args = adapterArgs(command);
        if (session.configuration.logToFile === true) {
            args.push('--log-dir', this.logDirectory.fsPath);
        }
        this.log.info(`Starting adapter: ${[command.executable, ...args].join(' ')}`);
        return new vscode.DebugAdapterExecutable(command.executable, args, { cwd: session.workspaceFolder?.uri.fsPath });
    }
}
