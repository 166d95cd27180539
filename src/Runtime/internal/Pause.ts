/**
 * A tiny static program that does nothing but wait, forever: PID 1 of the containers whose command runs as a Docker
 * exec (execs with secret variables, see `Docker.ts`), so that the command's environment is in no container config.
 *
 * It is a minimal ELF executable written here byte by byte (one loadable segment, no libc): on amd64 a loop of the
 * `pause` system call, on arm64 a loop of `ppoll(NULL, 0, NULL, NULL)`. It ignores every signal it can (PID 1 of a
 * PID namespace); the runtime ends it with SIGKILL.
 */

const base = 0x400000
const headerSize = 64 + 56

const u16 = (n: number) => {
  const b = Buffer.alloc(2)
  b.writeUInt16LE(n)
  return b
}
const u32 = (n: number) => {
  const b = Buffer.alloc(4)
  b.writeUInt32LE(n)
  return b
}
const u64 = (n: number) => {
  const b = Buffer.alloc(8)
  b.writeBigUInt64LE(BigInt(n))
  return b
}

const elf = (machine: number, code: Buffer): Buffer => {
  const size = headerSize + code.length
  return Buffer.concat([
    // ELF header: 64-bit, little endian, version 1, System V ABI
    Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
    u16(2), // ET_EXEC
    u16(machine),
    u32(1),
    u64(base + headerSize), // entry
    u64(64), // program headers right after this header
    u64(0), // no section headers
    u32(0),
    u16(64),
    u16(56),
    u16(1),
    u16(0),
    u16(0),
    u16(0),
    // program header: PT_LOAD, R+X, the whole file at `base`
    u32(1),
    u32(5),
    u64(0),
    u64(base),
    u64(base),
    u64(size),
    u64(size),
    u64(0x1000),
    code
  ])
}

// mov eax, 34 (pause); syscall; jmp back to the mov
const amd64 = Buffer.from([0xb8, 0x22, 0x00, 0x00, 0x00, 0x0f, 0x05, 0xeb, 0xf7])

// mov x0..x3, #0; mov x8, #73 (ppoll); svc #0; b back to the first mov
const arm64 = Buffer.concat(
  [0xd2800000, 0xd2800001, 0xd2800002, 0xd2800003, 0xd2800928, 0xd4000001, 0x17fffffa].map(u32)
)

/**
 * The program for a Node `process.arch`, or `undefined` for an architecture it is not written for.
 *
 * @category constructors
 */
export const program = (arch: string = process.arch): Buffer | undefined =>
  arch === "x64" ? elf(0x3e, amd64) : arch === "arm64" ? elf(0xb7, arm64) : undefined
