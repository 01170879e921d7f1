/**
 * The process picker behind `${command:pickProcess}`: the running processes that look like Python,
 * from `ps`. No `vscode` import here: node tests check the parsing directly.
 */

/** One process the user may attach to. */
export interface ProcessItem {
    readonly pid: number;
    /** Its command line, as `ps` shows it. */
    readonly command: string;
}

/** The command that lists every process as `PID ARGS` lines (POSIX `ps`). */
export const PS_COMMAND = ['ps', '-A', '-ww', '-o', 'pid=,args='] as const;

/**
 * The Python processes in `ps` output: lines `PID ARGS`, where the program (the first word of ARGS)
 * is a python interpreter (`python`, `python3`, `python3.14`, a path to one). Our own adapter
 * processes (`-m monadapter` without `--listen`) are left out, and so is `exclude` (the picker's own pid).
 */
export function pythonProcesses(psOutput: string, exclude?: number): ProcessItem[] {
    const items: ProcessItem[] = [];
    for (const line of psOutput.split('\n')) {
        const match = /^\s*(\d+)\s+(.*\S)\s*$/.exec(line);
        if (!match) continue;
        const pid = Number(match[1]);
        const command = match[2];
        const program = command.split(/\s+/)[0].split('/').pop() ?? '';
        if (!/^python(\d+(\.\d+)?)?$/.test(program) || pid === exclude) continue;
        if (/\s-m\s+monadapter(\s|$)/.test(command) && !/\s--listen[\s=]/.test(command)) continue;
        items.push({ pid, command });
    }
    return items;
}
