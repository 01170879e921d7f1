/**
 * Which names to show values for, inline, while a thread is paused: the variables of the top
 * frame's function, on the lines of that function up to the line it stopped on.
 *
 * No `vscode` import: node tests check this directly. The provider (inlineValuesProvider.ts) turns
 * each name into an `InlineValueVariableLookup`; VS Code then looks the name up in the paused
 * frame's scopes and shows nothing for a name that is not there (a global function, a builtin).
 */

/** One name to look up: 0-based line, and the columns [start, end) of the name on that line. */
export interface InlineName {
    readonly line: number;
    readonly start: number;
    readonly end: number;
    readonly name: string;
}

const KEYWORDS = new Set([
    'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def',
    'del', 'elif', 'else', 'except', 'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is',
    'lambda', 'nonlocal', 'not', 'or', 'pass', 'raise', 'return', 'try', 'while', 'with', 'yield',
    'match', 'case', 'type',
]);

const DEF = /^(\s*)(?:async\s+)?def\s/;
const IDENTIFIER = /[A-Za-z_][A-Za-z0-9_]*/g;
const IMPORT = /^\s*(?:import|from)\s/;

/**
 * The names whose values go next to lines `first..stopped` of the function the stop is in (the
 * whole file up to `stopped` when it is at module level), each name once per line.
 *
 * Left out: keywords, attribute names (`obj.name`: `obj` is shown), names being called
 * (`print(`), keyword-argument names (`f(key=...)`, not a `def`'s parameters), the names
 * `def`/`class` introduce, import statements, and anything inside strings and comments. Python text is read line by line, with triple-quoted strings followed
 * across lines; that is enough here, where a wrong guess only costs a lookup that finds nothing.
 */
export function inlineNames(lines: readonly string[], stopped: number): InlineName[] {
    const last = Math.min(stopped, lines.length - 1);
    const first = functionStart(lines, last);
    const names: InlineName[] = [];
    let inString: string | null = null; // the triple quote a string that spans lines was opened with
    for (let line = first; line <= last; line++) {
        const { code, openString } = codeOnly(lines[line], inString);
        inString = openString;
        if (IMPORT.test(code)) continue; // module names, not values worth showing
        const isDef = DEF.test(code);
        const seen = new Set<string>();
        for (const match of code.matchAll(IDENTIFIER)) {
            const name = match[0];
            const start = match.index ?? 0;
            const end = start + name.length;
            if (KEYWORDS.has(name) || seen.has(name) || /[0-9]/.test(code[start - 1] ?? '')) continue;
            if (isAttribute(code, start) || (!isDef && isCalledOrKeyword(code, end)) || isDeclared(code, start)) continue;
            if (isStringPrefix(name, lines[line][end])) continue;
            seen.add(name);
            names.push({ line, start, end, name });
        }
    }
    return names;
}

/** The `def` line of the innermost function around line `stopped` (0 at module level). */
function functionStart(lines: readonly string[], stopped: number): number {
    let indent = indentation(lines[stopped] ?? '');
    for (let line = stopped; line >= 0; line--) {
        const text = lines[line];
        if (text.trim() === '' || text.trimStart().startsWith('#')) continue;
        const width = indentation(text);
        const def = DEF.exec(text);
        if (def && (line === stopped || def[1].length < indent)) return line;
        indent = Math.min(indent, width);
    }
    return 0;
}

function indentation(text: string): number {
    return text.length - text.trimStart().length;
}

/**
 * `text` with strings and comments blanked out (same length, so columns stay right); `open` is the
 * triple quote of a string still open from an earlier line, and `openString` the one still open at
 * the end of this line.
 */
function codeOnly(text: string, open: string | null): { code: string; openString: string | null } {
    const out = text.split('');
    let quote = open;
    let i = 0;
    while (i < text.length) {
        if (quote !== null) {
            if (text[i] === '\\') {
                out[i] = ' ';
                if (i + 1 < text.length) out[i + 1] = ' ';
                i += 2;
                continue;
            }
            if (text.startsWith(quote, i)) {
                for (let k = 0; k < quote.length; k++) out[i + k] = ' ';
                i += quote.length;
                quote = null;
                continue;
            }
            out[i] = ' ';
            i++;
            continue;
        }
        const char = text[i];
        if (char === '#') {
            for (let k = i; k < text.length; k++) out[k] = ' ';
            break;
        }
        if (char === '"' || char === "'") {
            quote = text.startsWith(char.repeat(3), i) ? char.repeat(3) : char;
            for (let k = 0; k < quote.length; k++) out[i + k] = ' ';
            i += quote.length;
            continue;
        }
        i++;
    }
    // a one-quote string does not continue on the next line; a triple-quoted one does
    return { code: out.join(''), openString: quote !== null && quote.length === 3 ? quote : null };
}

function isAttribute(code: string, start: number): boolean {
    return /\.\s*$/.test(code.slice(0, start));
}

function isCalledOrKeyword(code: string, end: number): boolean {
    const rest = code.slice(end);
    if (/^\s*\(/.test(rest)) return true;
    // `f(key=value)`: `=` but not `==`, inside an open parenthesis
    if (/^\s*=(?!=)/.test(rest)) {
        const before = code.slice(0, end);
        return (before.match(/\(/g)?.length ?? 0) > (before.match(/\)/g)?.length ?? 0);
    }
    return false;
}

function isDeclared(code: string, start: number): boolean {
    return /(?:^|\s)(?:def|class)\s+$/.test(code.slice(0, start));
}

/** `f"..."`, `rb'...'`: the letters before a quote are part of the string, not a name. */
function isStringPrefix(name: string, next: string | undefined): boolean {
    return (next === '"' || next === "'") && /^(?:[rbuf]|rb|br|fr|rf)$/i.test(name);
}
