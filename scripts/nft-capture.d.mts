// Types of scripts/nft-capture.mjs for the TypeScript tests that import it.
export interface CapturedMessage { type: number; flags: number; body: string }
export function batchMessages(straceOutput: string): CapturedMessage[];
export function captureBatch(file: string, netns: string): { status: number | null; messages: CapturedMessage[]; nftOutput: string };
