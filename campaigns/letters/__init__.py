"""Direct-mail letters: print-ready PDFs with a response device, and their manifest.

The way a letter travels, module by module:

- ``letter_settings``: ``[letters]`` in config.toml (paper, return address, output,
  costs, processes, chunk size, place).
- ``print_run``: the parent claims queued ledger rows a chunk at a time and hands them
  to spawned worker processes; records each written chunk in the ledger.
- ``chunk_render``: in a worker, renders a chunk's letters (template body, engine
  layout) into one PDF with WeasyPrint and finds each letter's pages.
- ``letter_layout``: the page: window-envelope address block, date, response box with
  the offer code and QR, reply card. ``letter_words``: its words and date per language.
  ``qr_code``: the QR image.
- ``batch_files``: ``letters.pdf`` (pdfunite), ``manifest.csv``, per-letter PDFs.
- ``letter_send``: what ``hookline campaign send`` prints for a letter campaign.

Who gets a letter is decided at the snapshot (:func:`campaigns.ledger.start_campaign`):
the whole segment goes into the ledger, and rows without a complete postal address,
with mail consent withdrawn or with a mail suppression are ``skipped`` with the reason.
"""
