/**
 * The machine a report was measured on: CPU, cores, memory, kernel, Node, DCMTK, dcmjs-dimse, dicomnet commit.
 */
import { execFileSync } from "node:child_process"
import { cpus, loadavg, release, totalmem } from "node:os"
import * as Dcmjs from "./roles/dcmjs.js"
import * as Dcmtk from "./roles/dcmtk.js"

/** What the figures depend on. */
export interface Machine {
  readonly cpu: string
  readonly cores: number
  readonly memoryGib: number
  readonly kernel: string
  readonly node: string
  readonly dcmtk: string
  readonly dcmjsDimse: string
  readonly dicomnetCommit: string
  readonly date: string
  /** 1-minute load average when the suite started: other processes on the cores skew every figure. */
  readonly loadAverageAtStart: number
}

const gitCommit = (cwd: string): string => {
  try {
    const hash = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd, encoding: "utf8" }).trim()
    const dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], { cwd, encoding: "utf8" }).trim() !== ""
    return dirty ? `${hash} (with uncommitted changes)` : hash
  } catch {
    return "unknown"
  }
}

/** Reads the machine details. */
export const describe = (repoDir: string): Machine => {
  const list = cpus()
  return {
    cpu: list[0]?.model.trim() ?? "unknown",
    cores: list.length,
    memoryGib: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: `Linux ${release()}`,
    node: process.version,
    dcmtk: Dcmtk.version() ?? "not installed",
    dcmjsDimse: Dcmjs.version() ?? "not installed",
    dicomnetCommit: gitCommit(repoDir),
    date: new Date().toISOString(),
    loadAverageAtStart: Math.round((loadavg()[0] ?? 0) * 100) / 100
  }
}
