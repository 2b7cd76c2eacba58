"""The xdomea 0503 message as XML (lxml), from `model.Message`. The namespace prefix must be `xdomea`
(specification, section 4.2); code elements (`code`, `name`) are unqualified."""

from __future__ import annotations

from datetime import UTC, datetime

from lxml import etree

from preservation.export.xdomea.model import (
    MESSAGE_CODE,
    MESSAGE_NAME,
    MESSAGE_TYPE,
    CodeLists,
    Contact,
    Document,
    Format,
    Header,
    Message,
    Vorgang,
)
from preservation.metadata.xsd import xdomea_namespace

CONFIDENTIALITY_OPEN = ("003", "Offen: Das Schriftgutobjekt ist nicht eingestuft.")
"""Press releases were published: not classified."""
MEDIUM_ELECTRONIC = (
    "001",
    "Elektronisch: Das Schriftgutobjekt liegt ausschließlich in elektronischer Form vor.",
)


class _Writer:
    def __init__(self, version: str) -> None:
        self.ns = xdomea_namespace(version)

    def el(self, parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
        element = etree.SubElement(parent, f"{{{self.ns}}}{name}")
        if text is not None:
            element.text = text
        return element

    def code(
        self, parent: etree._Element, name: str, list_name: str, version: str, code: str, label: str | None
    ) -> None:
        element = self.el(parent, name)
        element.set("listURI", f"urn:xoev-de:xdomea:codeliste:{list_name}")
        element.set("listVersionID", version)
        etree.SubElement(element, "code").text = code
        if label is not None:
            etree.SubElement(element, "name").text = label


def render_message(message: Message) -> bytes:
    w = _Writer(message.version)
    root = etree.Element(f"{{{w.ns}}}{MESSAGE_NAME}", nsmap={"xdomea": w.ns})
    _header(w, root, message.header, message.code_lists)
    sgo = w.el(root, "Schriftgutobjekt")
    _vorgang(w, w.el(sgo, "Vorgang"), message.vorgang, message.code_lists)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _contact(w: _Writer, parent: etree._Element, name: str, contact: Contact) -> None:
    element = w.el(parent, name)
    w.el(w.el(element, "Institution"), "Name", contact.institution)
    if contact.unit:
        w.el(w.el(element, "Organisationseinheit"), "Name", contact.unit)


def _header(w: _Writer, root: etree._Element, header: Header, lists: CodeLists) -> None:
    kopf = w.el(root, "Kopf")
    w.el(kopf, "ProzessID", header.process_id)
    w.code(kopf, "Nachrichtentyp", "nachrichtentyp", lists.nachrichtentyp, MESSAGE_CODE, MESSAGE_TYPE)
    w.el(kopf, "Erstellungszeitpunkt", _timestamp(header.created))
    _contact(w, kopf, "Absender", header.sender)
    _contact(w, kopf, "Empfaenger", header.recipient)
    w.el(kopf, "Importbestaetigung", "1")  # fixed by the schema: the archive always confirms the import
    w.el(kopf, "RueckmeldungArchivkennung", _boolean(header.archive_id_feedback))
    w.el(kopf, "Empfangsbestaetigung", _boolean(header.receipt_confirmation))


def _boolean(value: bool) -> str:
    return "1" if value else "0"


def _general(
    w: _Writer,
    parent: etree._Element,
    subject: str,
    reference: str | None,
    remark: str | None,
    lists: CodeLists,
    *,
    confidentiality: bool,
) -> None:
    general = w.el(parent, "AllgemeineMetadaten")
    w.el(general, "Betreff", subject)
    if reference:
        w.el(general, "Kennzeichen", reference)
    if confidentiality:
        w.code(general, "Vertraulichkeitsstufe", "vertraulichkeitsstufe", lists.vertraulichkeitsstufe,
               *CONFIDENTIALITY_OPEN)  # fmt: skip
    if remark:
        w.el(general, "Bemerkung", remark)
    w.code(general, "Medium", "medium", lists.medium, *MEDIUM_ELECTRONIC)


def _vorgang(w: _Writer, element: etree._Element, vorgang: Vorgang, lists: CodeLists) -> None:
    w.el(w.el(element, "Identifikation"), "ID", vorgang.id)
    _general(w, element, vorgang.subject, vorgang.reference, None, lists, confidentiality=True)
    if vorgang.begin or vorgang.end:
        period = w.el(element, "Laufzeit")
        if vorgang.begin:
            w.el(period, "Beginn", vorgang.begin.isoformat())
        if vorgang.end:
            w.el(period, "Ende", vorgang.end.isoformat())
    for document in vorgang.documents:
        _document(w, w.el(element, "Dokument"), document, lists)


def _document(w: _Writer, element: etree._Element, document: Document, lists: CodeLists) -> None:
    ident = w.el(element, "Identifikation")
    w.el(ident, "ID", document.id)
    w.el(ident, "NummerImUebergeordnetenContainer", str(document.number))
    _general(w, element, document.subject, document.reference, document.remark, lists, confidentiality=False)
    if document.written is not None:
        w.el(element, "DatumDesSchreibens", document.written.isoformat())
    if document.author:
        w.el(element, "Bearbeiter", document.author)
    if document.formats:
        version = w.el(element, "Version")
        w.el(version, "Nummer", "1")
        for item in document.formats:
            _format(w, w.el(version, "Format"), item, lists)
    for attachment in document.attachments:
        _document(w, w.el(element, "Anlage"), attachment, lists)


def _format(w: _Writer, element: etree._Element, item: Format, lists: CodeLists) -> None:
    w.code(element, "Name", "dateiformat", lists.dateiformat, item.code, None)  # the schema allows no name
    if item.other_name:
        w.el(element, "SonstigerName", item.other_name)
    w.el(element, "Version", item.version)
    primary = w.el(element, "Primaerdokument")
    w.el(primary, "Dateiname", item.file_name)
    w.el(primary, "DateinameOriginal", item.original_name)
    if item.created is not None:
        w.el(primary, "DatumUhrzeit", _timestamp(item.created))
