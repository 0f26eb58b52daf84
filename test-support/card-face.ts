import { renderFacePhoto } from '@openmyna/core';
import { encodeFacePhotoJp2, renderCardFaceText } from '@openmyna/card/node';

/** The card-face images an issuer would print for a test holder. */
export async function cardFaceImages(
  text: { name: string; address: string; myNumber: string; securityCode: string },
  sex: string,
): Promise<{
  name: Uint8Array;
  address: Uint8Array;
  myNumber: Uint8Array;
  securityCode: Uint8Array;
  photo: Uint8Array;
}> {
  return {
    ...renderCardFaceText(text),
    photo: await encodeFacePhotoJp2(renderFacePhoto({ faceSeed: 42, sex, age: 40 })),
  };
}
