/**
 * The findings renderer (`application/vnd.diaglab.findings+json`) and the `*.findings.json` file
 * viewer, as one JupyterLab MIME extension: a findings output in a saved notebook renders without a
 * kernel, and an exported bundle opens as a document.
 */

import { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Widget } from '@lumino/widgets';

import { MIME_TYPE } from './bundle';
import { drawChart } from './chart';
import { diaglabIcon } from './icon';
import { renderBundle } from './render';

export const FILE_TYPE = 'diaglab-findings';
export const FACTORY = 'diaglab Findings';

export class FindingsRenderer extends Widget implements IRenderMime.IRenderer {
  constructor(options: IRenderMime.IRendererOptions) {
    super();
    this._mimeType = options.mimeType;
    this.addClass('diaglab-findings');
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    await renderBundle(this.node, model.data[this._mimeType], { drawChart });
  }

  private _mimeType: string;
}

export const rendererFactory: IRenderMime.IRendererFactory = {
  // Safe: nothing from the bundle becomes HTML, and charts load no URL.
  safe: true,
  mimeTypes: [MIME_TYPE],
  createRenderer: options => new FindingsRenderer(options)
};

const extension: IRenderMime.IExtension = {
  id: 'diaglab:findings',
  description: 'Renders diaglab findings bundles and opens *.findings.json files.',
  rendererFactory,
  // before text/html (50): a findings output carries an HTML fallback for places without diaglab
  rank: 10,
  dataType: 'json',
  fileTypes: [
    {
      name: FILE_TYPE,
      displayName: 'diaglab findings',
      mimeTypes: [MIME_TYPE],
      extensions: ['.findings.json'],
      fileFormat: 'text',
      // by name: the extension object must stay plain data (JupyterLab serializes parts of it)
      icon: diaglabIcon.name
    }
  ],
  documentWidgetFactoryOptions: {
    name: FACTORY,
    label: 'diaglab Findings',
    primaryFileType: FILE_TYPE,
    fileTypes: [FILE_TYPE],
    defaultFor: [FILE_TYPE]
  }
};

export default extension;
