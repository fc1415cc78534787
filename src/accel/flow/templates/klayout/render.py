# KLayout batch script (klayout -zz -r render.py -rd gds=... -rd png=... -rd width=...):
# draw the whole layout, all hierarchy levels, to a PNG.
import pya

gds = globals().get("gds")
png = globals().get("png")
width = int(globals().get("width", "1600"))

view = pya.LayoutView()
view.load_layout(gds, True)
view.max_hier()
view.zoom_fit()
view.set_config("background-color", "#ffffff")
view.set_config("grid-visible", "false")
view.set_config("text-visible", "false")
layout = view.cellview(0).layout()
top = layout.top_cell()
box = top.dbbox()
height = max(200, int(width * box.height() / box.width())) if box.width() > 0 else width
view.save_image(png, width, height)
print(f"ACCEL-RENDER top={top.name} width_um={box.width():.3f} height_um={box.height():.3f}")
