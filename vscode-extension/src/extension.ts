/** Entry point of the VS Code extension: registers the monadapter debug type's providers. */
import * as vscode from 'vscode';
import { DEBUG_TYPE } from './configuration';
import { ConfigurationProvider } from './configurationProvider';
import { DescriptorFactory } from './descriptorFactory';

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
    );
}

export function deactivate(): void {}
