"use strict";
/**
 * The loader's answer to the `maps` command of a run session (loader/README.md, "Commands of
 * run"): every map of the running object with its keys and values as hex, and optionally the
 * object's finalized BTF to decode them with.
 */
Object.defineProperty(exports, "__esModule", { value: true });
exports.hexToBytes = hexToBytes;
exports.perCpuSlices = perCpuSlices;
/** Hex as the loader writes it to bytes; odd lengths and non-hex digits end the decode early. */
function hexToBytes(hex) {
    const bytes = new Uint8Array(hex.length >> 1);
    for (let index = 0; index < bytes.length; index++) {
        const value = parseInt(hex.substr(index * 2, 2), 16);
        if (Number.isNaN(value))
            return bytes.subarray(0, index);
        bytes[index] = value;
    }
    return bytes;
}
/**
 * Splits a per-CPU value into one view per CPU: the kernel hands them out as `cpus` slots of
 * `valueSize` rounded up to 8 bytes.
 */
function perCpuSlices(value, valueSize, cpus) {
    const stride = Math.ceil(valueSize / 8) * 8;
    const slices = [];
    for (let cpu = 0; cpu < cpus && cpu * stride + valueSize <= value.length; cpu++) {
        slices.push(value.subarray(cpu * stride, cpu * stride + valueSize));
    }
    return slices;
}
//# sourceMappingURL=map-dump.js.map