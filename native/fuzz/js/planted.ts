// The self-check's planted bug (scripts/fuzz.sh runs selfcheck.mjs before
// the real targets): it throws only for inputs that start with the 5 bytes
// "NFT!" 0x7f, tested one byte at a time. Blind random inputs would need
// about 2^40 tries; with the JS edge counters as feedback libFuzzer keeps
// each input that gets one byte further and finds it in seconds.
export function planted(data: Uint8Array): void {
  if (data.length >= 5) {
    if (data[0] === 0x4e) {
      if (data[1] === 0x46) {
        if (data[2] === 0x54) {
          if (data[3] === 0x21) {
            if (data[4] === 0x7f) throw new Error('planted: the magic prefix was found');
          }
        }
      }
    }
  }
}
