"""The one block set every record body uses. Keep it small: one change here means one migration."""

from wagtail import blocks
from wagtail.images.blocks import ImageBlock


class HeadingBlock(blocks.StructBlock):
    text = blocks.CharBlock(max_length=200, help_text="The heading text.")
    level = blocks.ChoiceBlock(
        choices=[("h2", "Section heading"), ("h3", "Sub-section heading")],
        default="h2",
        help_text="Use a section heading first; sub-section headings go under it.",
    )

    class Meta:
        icon = "title"
        template = "blocks/heading_block.html"
        preview_value = {"text": "What the evaluation measured", "level": "h2"}
        description = "A heading that starts a section of the body."


class QuoteBlock(blocks.StructBlock):
    text = blocks.TextBlock(help_text="The quoted words, exactly as in the source.")
    attribution = blocks.CharBlock(required=False, max_length=200, help_text="Who said or wrote it.")
    source_url = blocks.URLBlock(required=False, help_text="Where the quotation can be checked.")

    class Meta:
        icon = "openquote"
        template = "blocks/quote_block.html"
        preview_value = {
            "text": "Trustworthy AI depends on accountability, and accountability presupposes transparency.",
            "attribution": "NIST AI RMF 1.0, section 3.4",
        }
        description = "A quotation with its source."


class CalloutBlock(blocks.StructBlock):
    tone = blocks.ChoiceBlock(
        choices=[("note", "Note"), ("warning", "Warning"), ("recommendation", "Recommendation")],
        default="note",
        help_text="How the box is labelled.",
    )
    text = blocks.RichTextBlock(features=["bold", "italic", "link", "ol", "ul"])

    class Meta:
        icon = "warning"
        template = "blocks/callout_block.html"
        preview_value = {
            "tone": "recommendation",
            "text": "<p>Test safeguards in every language you serve.</p>",
        }
        description = "A highlighted box for a note, warning or recommendation."


class FigureBlock(blocks.StructBlock):
    image = ImageBlock(help_text="The picture; give it alternative text for people who cannot see it.")
    caption = blocks.CharBlock(required=False, max_length=300, help_text="Shown under the picture.")

    class Meta:
        icon = "image"
        template = "blocks/figure_block.html"
        description = "A picture or chart with a caption."


class RecordBodyBlock(blocks.StreamBlock):
    heading = HeadingBlock()
    paragraph = blocks.RichTextBlock(
        features=["bold", "italic", "link", "ol", "ul", "superscript", "subscript"],
        icon="pilcrow",
        template="blocks/paragraph_block.html",
        preview_value="<p>The study tested refusal behaviour in twelve languages.</p>",
        description="Running text with links and lists.",
    )
    quote = QuoteBlock()
    callout = CalloutBlock()
    figure = FigureBlock()
