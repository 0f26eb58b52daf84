// The part of OpenJPEG's WebAssembly build (@cornerstonejs/codec-openjpeg, which ships no types) we use.
declare module '@cornerstonejs/codec-openjpeg/wasmjs' {
  interface FrameInfo {
    width: number;
    height: number;
    bitsPerSample: number;
    componentCount: number;
    isSigned: boolean;
  }
  interface J2KEncoder {
    getDecodedBuffer(frameInfo: FrameInfo & { isUsingColorSpace: boolean }): Uint8Array;
    setQuality(lossless: boolean, quantizationStep: number): void;
    setCompressionRatio(layer: number, ratio: number): void;
    encode(): void;
    getEncodedBuffer(): Uint8Array;
    delete(): void;
  }
  interface J2KDecoder {
    getEncodedBuffer(length: number): Uint8Array;
    decode(): void;
    getDecodedBuffer(): Uint8Array;
    getFrameInfo(): FrameInfo;
    delete(): void;
  }
  interface OpenJpegModule {
    J2KEncoder: new () => J2KEncoder;
    J2KDecoder: new () => J2KDecoder;
  }
  const factory: (options?: {
    print?: (text: string) => void;
    printErr?: (text: string) => void;
  }) => Promise<OpenJpegModule>;
  export default factory;
}
