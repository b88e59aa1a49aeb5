// An SVG document drawn onto a canvas and encoded as PNG, in the panel: the SVG goes in as a
// data: image (the panel's CSP allows img-src data:), so nothing is fetched and the canvas stays
// readable. The PNG has the SVG's own width and height.

/** The PNG of a standalone SVG document, base64 (no data: prefix). */
export async function svgToPng(doc: Pick<Document, 'createElement'>, svg: string): Promise<string> {
  const img = doc.createElement('img');
  const bytes = new TextEncoder().encode(svg);
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  img.src = `data:image/svg+xml;base64,${btoa(bin)}`;
  await img.decode();
  const width = img.naturalWidth;
  const height = img.naturalHeight;
  if (!width || !height) throw new Error('the SVG has no size');
  const canvas = doc.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const g = canvas.getContext('2d');
  if (!g) throw new Error('no 2D canvas in this view');
  g.drawImage(img, 0, 0, width, height);
  const url = canvas.toDataURL('image/png');
  const comma = url.indexOf(',');
  if (!url.startsWith('data:image/png') || comma < 0) throw new Error('the canvas gave no PNG');
  return url.slice(comma + 1);
}
