/** Inline values while paused: the top frame's variables next to the lines that use them. */
import * as vscode from 'vscode';
import { DEBUG_TYPE } from './configuration';
import { inlineNames } from './inlineValues';

export class InlineValuesProvider implements vscode.InlineValuesProvider {
    /**
     * Called by VS Code for the editor showing the paused frame. Each name becomes a variable lookup:
     * VS Code reads its value from the frame's scopes (no expression is evaluated, so nothing of the
     * program runs) and shows nothing for a name that is not a variable there.
     */
    provideInlineValues(
        document: vscode.TextDocument,
        viewPort: vscode.Range,
        context: vscode.InlineValueContext,
    ): vscode.InlineValue[] {
        if (vscode.debug.activeDebugSession?.type !== DEBUG_TYPE) {
            return []; // another debugger's session (debugpy's extension has its own provider)
        }
        const stopped = context.stoppedLocation.end.line;
        const lines = Array.from({ length: stopped + 1 }, (_, line) => document.lineAt(line).text);
        return inlineNames(lines, stopped)
            .filter(({ line }) => line >= viewPort.start.line && line <= viewPort.end.line)
            .map(({ line, start, end, name }) => new vscode.InlineValueVariableLookup(new vscode.Range(line, start, line, end), name, true));
    }
}
