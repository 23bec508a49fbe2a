// Shrink a photo in the browser before it is stored, so a report costs a few hundred KB (docs/design.md §3).

// iOS Safari draws a black image on canvases over about 16.7 megapixels (docs/design.md §10): stay below.
const MAX_CANVAS_PIXELS = 16_000_000;

/**
 * Resize to at most `longSide` pixels on the long side and encode as JPEG; EXIF (GPS included) is
 * not carried over. Orientation is applied while decoding. Answers {blob, width, height}.
 */
export async function resizeToJpeg(file, {longSide = 2048, quality = 0.85} = {}) {
  const source = await decode(file);
  try {
    const scale = Math.min(1, longSide / Math.max(source.width, source.height));
    const width = Math.max(1, Math.round(source.width * scale));
    const height = Math.max(1, Math.round(source.height * scale));
    let image = source;
    // Halve step by step down to twice the target: one big jump would alias (moiré, jagged edges).
    for (const [w, h] of halvings(source.width, source.height, width, height)) image = draw(image, w, h);
    const canvas = draw(image, width, height);
    return {blob: await toJpeg(canvas, quality), width, height};
  } finally {
    source.close();
  }
}

/** The file's pixels, oriented; through an <img> where createImageBitmap cannot read the format but
 * the page can (HEIC in some Safari versions). Throws when neither can: the caller keeps the file. */
async function decode(file) {
  try {
    return await createImageBitmap(file, {imageOrientation: 'from-image'});
  } catch (error) {
    if (typeof Image !== 'function') throw error;
    const url = URL.createObjectURL(file);
    try {
      const img = new Image();
      img.src = url;
      await img.decode();
      return await createImageBitmap(img);
    } finally {
      URL.revokeObjectURL(url);
    }
  }
}

/** The intermediate sizes, each half the previous, skipping any over the canvas limit. */
function halvings(w, h, width, height) {
  const sizes = [];
  while (w / 2 >= width * 2) {
    w = Math.round(w / 2);
    h = Math.round(h / 2);
    if (w * h <= MAX_CANVAS_PIXELS) sizes.push([w, h]);
  }
  return sizes;
}

function draw(image, width, height) {
  const canvas = typeof OffscreenCanvas === 'function'
    ? new OffscreenCanvas(width, height)
    : Object.assign(document.createElement('canvas'), {width, height});
  const context = canvas.getContext('2d');
  context.fillStyle = '#fff'; // transparent PNGs become white, not black, as JPEG
  context.fillRect(0, 0, width, height);
  context.imageSmoothingQuality = 'high';
  context.drawImage(image, 0, 0, width, height);
  return canvas;
}

function toJpeg(canvas, quality) {
  if (canvas.convertToBlob) return canvas.convertToBlob({type: 'image/jpeg', quality});
  return new Promise((resolve, reject) => canvas.toBlob(
    (blob) => (blob ? resolve(blob) : reject(new Error('encoding failed'))), 'image/jpeg', quality));
}
