/**
 * The diaglab plugin: the "New diagnostic notebook" command (command palette and launcher card) and
 * its settings (default store path, default model, kernel).
 */

import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, InputDialog, showErrorMessage } from '@jupyterlab/apputils';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { ILauncher } from '@jupyterlab/launcher';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { UUID } from '@lumino/coreutils';

import { diaglabIcon } from './icon';
import { checkAnswer, diagnosticNotebook } from './notebook';

export const PLUGIN_ID = 'diaglab:plugin';
export const NEW_NOTEBOOK = 'diaglab:new-notebook';
const TITLE = 'New diagnostic notebook';

interface ISettings {
  defaultStorePath: string;
  defaultModel: string;
  kernelName: string;
}

const DEFAULTS: ISettings = { defaultStorePath: 'sample_data/credit', defaultModel: 'credit', kernelName: 'python3' };

/** Arguments of the command; any left out is asked for (store path, model) or taken from the settings. */
interface INewNotebookArgs {
  storePath?: string;
  model?: string;
  cwd?: string;
}

async function ask(label: string, value: string, placeholder: string): Promise<string | null> {
  const result = await InputDialog.getText({ title: TITLE, label, text: value, placeholder, okLabel: 'Next' });
  if (!result.button.accept) {
    return null;
  }
  const answer = (result.value ?? '').trim();
  const problem = checkAnswer(label.replace(/ \(.*$/, ''), answer);
  if (problem) {
    await showErrorMessage(TITLE, problem);
    return null;
  }
  return answer;
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'New diagnostic notebook (launcher card, command palette) and diaglab settings.',
  autoStart: true,
  optional: [ICommandPalette, ILauncher, ISettingRegistry, IDefaultFileBrowser],
  activate: (
    app: JupyterFrontEnd,
    palette: ICommandPalette | null,
    launcher: ILauncher | null,
    registry: ISettingRegistry | null,
    browser: IDefaultFileBrowser | null
  ) => {
    const settings: ISettings = { ...DEFAULTS };
    if (registry) {
      // Only the command needs them: loaded once the app is restored, off the start-up path.
      void app.restored
        .then(() => registry.load(PLUGIN_ID))
        .then(loaded => {
          const update = (): void => {
            settings.defaultStorePath = loaded.get('defaultStorePath').composite as string;
            settings.defaultModel = loaded.get('defaultModel').composite as string;
            settings.kernelName = loaded.get('kernelName').composite as string;
          };
          update();
          loaded.changed.connect(update);
        })
        .catch(reason => console.error('diaglab: could not load settings', reason));
    }

    app.commands.addCommand(NEW_NOTEBOOK, {
      label: TITLE,
      caption: 'Open a new notebook with the diaglab panel on a store and model',
      icon: args => (args.isPalette ? undefined : diaglabIcon),
      execute: async raw => {
        const args = raw as INewNotebookArgs;
        const storePath =
          args.storePath ??
          (await ask('Store path (absolute, or relative to the new notebook)', settings.defaultStorePath, 'sample_data/credit'));
        if (storePath === null) {
          return null;
        }
        const model = args.model ?? (await ask('Model', settings.defaultModel, 'credit'));
        if (model === null) {
          return null;
        }
        const cwd = args.cwd ?? browser?.model.path ?? '';
        const contents = app.serviceManager.contents;
        try {
          const created = await contents.newUntitled({ path: cwd, type: 'notebook' });
          const content = diagnosticNotebook({
            storePath,
            model,
            kernelName: settings.kernelName,
            cellId: UUID.uuid4()
          });
          await contents.save(created.path, { type: 'notebook', format: 'json', content });
          const opened: unknown = await app.commands.execute('docmanager:open', {
            path: created.path,
            factory: 'Notebook',
            kernel: { name: settings.kernelName }
          });
          return opened;
        } catch (error) {
          await showErrorMessage(
            TITLE,
            `Could not create a notebook in ${cwd ? JSON.stringify(cwd) : 'the root folder'}: ${String(error)}`
          );
          return null;
        }
      }
    });

    palette?.addItem({ command: NEW_NOTEBOOK, category: 'diaglab' });
    // The Notebook section draws kernel cards from an image URL (an inline SVG: nothing is fetched).
    launcher?.add({
      command: NEW_NOTEBOOK,
      category: 'Notebook',
      rank: 10,
      kernelIconUrl: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(diaglabIcon.svgstr.replace('#616161', '#4c78a8'))}`
    });
  }
};

export default plugin;
