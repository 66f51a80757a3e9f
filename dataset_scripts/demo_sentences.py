"""Original Vietnamese sentences of the bundled demo corpus, written for sentiv-hf (not taken from any dataset).

The register is social media: comments and short posts, some slang and teencode, a few emoji. Every label has a
tuple of sentences whose emotion is clear from the words, and a tuple of *text-ambiguous* ones: sarcasm, or plain
wording whose emotion only the voice carries. `make_demo_corpus.py` speaks the text-ambiguous ones with clear
emotional prosody, and flattens or mismatches the prosody of a seeded share of the clear ones, so that text and
speech are imperfect on different items.

Example:
    >>> from demo_sentences import SENTENCES
    >>> sorted({item.label for item in SENTENCES})[:2]
    ['Anger', 'Disgust']
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoSentence:
    """One sentence of the demo corpus: its 7-label emotion, text, and whether the words alone are ambiguous."""

    label: str
    text: str
    text_ambiguous: bool = False


_CLEAR: dict[str, tuple[str, ...]] = {
    "Anger": (
        "Giao hàng trễ ba ngày mà còn cãi khách, bực thật sự!",
        "Đã nói bao nhiêu lần rồi, đừng có đậu xe trước cửa nhà tui!",
        "Shop làm ăn kiểu gì vậy, gửi sai màu mà không chịu đổi 😡",
        "Tức điên lên được, vừa rửa xe xong lại bị tạt nước.",
        "Hàng xóm hát karaoke tới hai giờ sáng, chịu hết nổi rồi!",
        "Im đi, không ai mượn bạn dạy đời ở đây!",
        "Lương chưa trả mà bắt làm thêm giờ, quá đáng lắm luôn.",
        "Nhắn tin ko rep, gọi ko nghe, giỡn mặt hả?",
        "Trọng tài thổi kiểu này thì đá làm gì nữa, bực mình!",
        "Đặt bàn trước rồi mà tới nơi bảo hết chỗ, vô lý hết sức.",
        "Đụng xe người ta còn bỏ chạy, tức muốn nổ đầu.",
        "Mạng lag suốt cả buổi tối, nhà mạng làm ăn chán quá, tức ghê!",
        "Lần sau mà còn lấy đồ của tao không hỏi thì biết tay!",
        "Hủy đơn phút chót không một lời xin lỗi, bực hết cả mình.",
        "Nói mãi không nghe, cứ thích làm theo ý mình, điên thật!",
        "Xếp hàng nửa tiếng mà có người chen ngang tỉnh bơ, ghét gì đâu.",
        "Ai cho phép đăng hình tui lên mạng vậy? Xóa ngay!",
        "Sếp đổ hết lỗi cho tui trước mặt cả phòng, tức không chịu được.",
        "Bấm còi inh ỏi giữa đêm, có biết người ta đang ngủ không hả?",
        "Đã hứa rồi còn nuốt lời, đừng có mà hứa nữa!",
        "Phí ship còn đắt hơn tiền hàng, đùa nhau à?",
        "Bạn cùng phòng ăn hết đồ của tui mà không nói một câu, giận thiệt.",
        "Thôi đủ rồi, tui không muốn nghe thêm lời bào chữa nào nữa!",
        "App cập nhật xong là lỗi tùm lum, dev làm gì vậy trời!",
        "Tui trả tiền đầy đủ mà bị đối xử như vậy, không chấp nhận được.",
        "Sửa điện thoại hai tuần chưa xong còn đòi thêm tiền, quá quắt!",
        "Đừng có đổ thừa cho người khác nữa, tự nhận lỗi đi!",
        "Bực mình ghê, xe buýt chạy ngang qua mà không thèm dừng.",
        "Đi đường mà cứ cầm điện thoại, suýt tông vào tui, bực thiệt!",
        "Tui ghét nhất là bị người khác nói xấu sau lưng.",
        "Năm nào cũng hứa chống ngập mà mưa cái là ngập, tức quá trời!",
        "Giật đồ giữa ban ngày, bọn này phải bị bắt hết!",
        "Mắng nhân viên như vậy mà cũng tự nhận là khách văn minh hả?",
    ),
    "Disgust": (
        "Quán này bẩn quá, trong tô phở còn có con gián, ghê chết đi được.",
        "Nhìn cảnh xả rác xuống hồ mà thấy kinh tởm.",
        "Ăn nói thô tục vậy mà cũng đòi làm người nổi tiếng, nhìn mà ngán.",
        "Mùi cống bốc lên nồng nặc, muốn ói luôn 🤮",
        "Lừa tiền cả người già mà không biết ngượng, thật đáng khinh.",
        "Cái clip đó phản cảm thiệt sự, xem mà nổi da gà.",
        "Tô bún có sợi tóc dài thòng, hết muốn ăn.",
        "Mấy trang câu view bằng tin giả, nhìn mà chán ghét.",
        "Khạc nhổ ngay giữa chợ, mất vệ sinh không chịu nổi.",
        "Nhà vệ sinh công cộng dơ kinh khủng, chắc cả tháng không ai chùi.",
        "Nịnh sếp trơ trẽn vậy mà cũng được thăng chức, ớn thiệt.",
        "Bánh mốc xanh lè mà vẫn bán cho khách, kinh quá.",
        "Hành hạ chó mèo rồi quay clip khoe, đúng là hết thuốc chữa.",
        "Đồ ăn thừa để trong tủ lạnh cả tuần, mùi ghê tởm.",
        "Comment toàn lời lẽ bẩn thỉu, đọc mà muốn rửa mắt.",
        "Nhìn mâm đồ ăn ruồi bu đầy là hết muốn đụng đũa.",
        "Sống ảo cho lắm mà nhà cửa bừa bộn như bãi rác, ngán ngẩm.",
        "Quay lén người khác trong phòng thay đồ, thật bỉ ổi.",
        "Trứng bị hư, đập ra mùi muốn xỉu.",
        "Ăn chặn cả tiền cứu trợ, không còn gì để nói, tởm.",
        "Cái áo mua về hôi mùi hóa chất, không dám mặc.",
        "Nhậu xong đứng tè bậy ven đường, mất nết ghê.",
        "Người gì đâu mà hai mặt, trước mặt thì ngọt, sau lưng thì đâm.",
        "Cá ươn rồi còn tẩm hóa chất bán tiếp, vô lương tâm.",
        "Đọc mấy tin đồn bẩn thỉu kiểu này thấy buồn nôn.",
        "Bãi biển đầy rác nhựa với bọt xốp, nhìn mà ngán.",
        "Ăn xong vứt hộp xốp ngay dưới ghế, ý thức kém thiệt.",
        "Chuột chạy loanh quanh trong bếp nhà hàng, eo ơi.",
        "Quảng cáo thuốc giả để lừa người bệnh, khinh bỉ.",
        "Nước hồ bơi đục ngầu lại có mùi lạ, ghê quá.",
        "Nhà vệ sinh trường học hôi tới mức phải nín thở mà đi.",
        "Xả nước thải thẳng ra sông, mấy công ty đó thật đáng ghê tởm.",
        "Đang ăn mà nghe kể chuyện giòi bọ, mắc ói quá.",
        "Mấy kẻ bạo hành trẻ em thật là đáng khinh.",
    ),
    "Enjoyment": (
        "Hôm nay được thưởng Tết to quá, vui không tả nổi!",
        "Cả nhà quây quần ăn cơm tối, hạnh phúc giản dị vậy thôi.",
        "Đội tuyển thắng rồi, cả xóm ra đường đi bão nè!",
        "Trà sữa hôm nay ngon xuất sắc, mười điểm không có nhưng.",
        "Đậu đại học rồi mn ơi, vui quá trời quá đất 🥰",
        "Cuối tuần đi Đà Lạt săn mây, chill hết nấc luôn.",
        "Con mèo nhà tui biết bắt tay rồi, đáng yêu xỉu.",
        "Được crush nhắn tin chúc ngủ ngon, cười cả đêm luôn.",
        "Quán mới mở gần nhà, đồ ăn ngon mà giá lại rẻ, thích ghê.",
        "Cảm ơn mọi người đã chúc mừng sinh nhật, thương cả nhà nhiều!",
        "Cuối cùng cũng xong đồ án, giờ ngủ một giấc cho đã.",
        "Mẹ nấu canh chua cá lóc, ăn ba chén cơm luôn.",
        "Vừa nhận lương xong, tối nay khao cả nhóm nha!",
        "Bé nhà mình gọi được tiếng mẹ rồi, hạnh phúc ghê.",
        "Trời mát, gió nhẹ, ngồi cà phê với bạn thân, đời đẹp ghê.",
        "Được sếp khen trước cả phòng, vui cả ngày hôm nay.",
        "Săn được vé máy bay giá rẻ, hè này đi biển thôi!",
        "Concert tối qua đỉnh quá, hát khàn cả cổ mà vẫn sướng.",
        "Vườn rau tự trồng đã cho thu hoạch, vui dễ sợ.",
        "Mua được cuốn sách tìm mấy tháng nay, mừng quá.",
        "Ông bà khỏe mạnh, con cháu sum vầy, còn gì bằng.",
        "Phim này hài thiệt sự, cười muốn xỉu luôn á 😂",
        "Team mình thắng giải rồi, công sức mấy tháng không uổng!",
        "Bạn thân sắp cưới rồi, mừng cho nó quá trời.",
        "Lần đầu tự làm bánh mà thành công, tự hào ghê.",
        "Nghe bài này là thấy yêu đời liền.",
        "Được nghỉ lễ năm ngày, sướng rơn!",
        "Chú chó nhỏ chạy ra đón mỗi khi mình về, thương ghê.",
        "Chạy bộ xong làm tô bún bò, tuyệt cú mèo.",
        "Đi phượt cùng hội bạn, kỷ niệm đẹp nhớ đời.",
        "Cuối cùng cũng trả hết nợ, nhẹ cả người, vui ghê.",
        "Sáng nay thi bằng lái đậu luôn, phê quá!",
        "Nhận quà bất ngờ từ đồng nghiệp, vui thiệt là vui.",
        "Ngày đầu đi học, thằng bé cười tít mắt, cả nhà mừng rỡ.",
    ),
    "Fear": (
        "Đi đường tối một mình, cứ thấy như có ai đi theo sau, sợ quá.",
        "Nghe tiếng động lạ ngoài cửa lúc nửa đêm, tim đập thình thịch.",
        "Mai thi cuối kỳ mà chưa học chữ nào, run quá mn ơi.",
        "Bão sắp vào mà nhà mình mái tôn, lo không ngủ được.",
        "Thấy con rắn trong bụi cây, chân tay bủn rủn luôn.",
        "Sợ độ cao lắm, lên cầu kính là muốn xỉu.",
        "Nhận cuộc gọi lạ đòi tiền chuộc, hoảng thật sự.",
        "Dịch bệnh lại bùng phát, lo cho ông bà ở quê quá.",
        "Máy bay rung lắc dữ dội, ai cũng sợ tái mặt.",
        "Con đi học chưa về mà gọi không được, lo muốn điên.",
        "Coi phim ma xong không dám đi vệ sinh một mình 😱",
        "Sắp phỏng vấn xin việc, tay lạnh ngắt, run lẩy bẩy.",
        "Nghe tin công ty sắp cắt giảm nhân sự, sợ mất việc quá.",
        "Nước lên nhanh quá, cả xóm đang chạy lên chỗ cao.",
        "Xe mất phanh khi đang đổ dốc, tưởng tiêu rồi.",
        "Tài khoản bị trừ tiền mà không biết lý do, hoang mang quá.",
        "Đêm qua động đất, cả nhà hốt hoảng chạy ra đường.",
        "Sợ nhất là bị bỏ lại một mình trong bệnh viện.",
        "Đi khám thấy có khối u, chờ kết quả mà run hết người.",
        "Chó dữ nhà bên sổng ra, tui chạy muốn rớt dép.",
        "Thang máy kẹt giữa chừng, trong đó tối om, sợ chết khiếp.",
        "Nghe nói khu này hay có cướp giật, tối không dám ra ngoài.",
        "Mai lên sân khấu hát trước cả trường, sợ quên lời quá.",
        "Có người lạ cứ nhắn tin đe dọa, không biết phải làm sao.",
        "Mấy hôm nay đau ngực hoài, sợ bị bệnh gì nặng.",
        "Con nhện to tướng bò trên tường, tui không dám nhúc nhích.",
        "Sét đánh ầm ầm, mất điện cả khu, bé nhà tui khóc thét.",
        "Đi lạc trong rừng lúc trời sắp tối, sợ muốn khóc.",
        "Sếp gọi lên phòng riêng, không biết có chuyện gì, run ghê.",
        "Ngửi thấy mùi khét trong nhà mà không biết từ đâu, lo quá.",
        "Bé sốt cao co giật, cả nhà cuống cuồng chở vô viện.",
        "Lỡ làm mất hồ sơ của khách, sợ bị đuổi việc quá.",
        "Nghe còi xe cứu thương dừng ngay đầu hẻm, hồi hộp lo lắng quá.",
        "Leo núi gặp sạt lở, đá lăn xuống ào ào, sợ hết vía.",
    ),
    "Neutral": (
        "Mai trường cho nghỉ, thứ hai đi học lại bình thường.",
        "Ai có số điện thoại của chủ nhà trọ thì cho mình xin với.",
        "Chiều nay mình ghé siêu thị mua ít đồ.",
        "Bên mình còn áo size M màu xanh không shop?",
        "Tuyến xe buýt số tám đổi lộ trình từ tuần sau.",
        "Hôm nay trời nhiều mây, nhiệt độ khoảng hai mươi lăm độ.",
        "Họp nhóm lúc bảy giờ tối trên Zoom nha mọi người.",
        "Cho mình hỏi làm lại căn cước thì lên phường hay lên quận vậy?",
        "Mình để chìa khóa ở ngăn kéo thứ hai.",
        "Quán mở cửa từ sáu giờ sáng đến mười giờ tối.",
        "Sách này có bản điện tử không ạ?",
        "Tuần này lớp mình học bù vào chiều thứ năm.",
        "Mình đang ở ngã tư, năm phút nữa tới.",
        "Đơn hàng đã được giao cho đơn vị vận chuyển.",
        "Nhớ mang theo giấy tờ tùy thân khi đi khám.",
        "Phòng họp tầng ba đang sửa, mọi người qua tầng hai nhé.",
        "Giá xăng kỳ này giữ nguyên, không tăng không giảm.",
        "Bạn gửi file qua email giúp mình dc không?",
        "Hôm qua mình đi ngủ lúc mười một giờ.",
        "Tháng sau công ty chuyển văn phòng sang quận bảy.",
        "Chợ gần nhà có bán rau, giá cũng vừa phải.",
        "Mình dùng điện thoại này được hai năm rồi.",
        "Thư viện đóng cửa vào chủ nhật.",
        "Bài tập nộp trước mười hai giờ đêm thứ sáu.",
        "Xe của mình màu bạc, đậu ở hầm B1.",
        "Cuối tuần này mình về quê thăm ông bà.",
        "Nhóm mình có năm người, chia ra hai xe là vừa.",
        "Nhà thuốc đầu hẻm mở tới chín giờ tối.",
        "Trận đấu bắt đầu lúc tám giờ, chiếu trên kênh thể thao.",
        "Mình ăn chay vào ngày rằm và mùng một.",
        "Link đăng ký ở phần bình luận đầu tiên nha.",
        "Bạn cứ để đồ ở quầy lễ tân, mình xuống lấy sau.",
        "Mình chuyển khoản rồi, bạn kiểm tra giúp nha.",
        "Lịch tiêm phòng của bé là ngày mười lăm tháng này.",
    ),
    "Sadness": (
        "Con mèo nuôi mười năm vừa mất, nhà trống trải quá.",
        "Chia tay rồi, giờ nghe bài nào cũng thấy buồn 😭",
        "Trượt nguyện vọng một, thấy bao nhiêu cố gắng đều vô nghĩa.",
        "Tết này không về quê được, nhớ mẹ quá.",
        "Bạn thân chuyển ra nước ngoài, từ nay ít gặp nhau rồi.",
        "Ông ngoại mất rồi, con chưa kịp về nhìn mặt ông lần cuối.",
        "Làm lụng cả năm mà cuối năm vẫn trắng tay, buồn ghê.",
        "Mưa cả tuần, ngồi một mình trong phòng trọ, thấy cô đơn lắm.",
        "Sinh nhật mà không ai nhớ, chắc mình không quan trọng với ai.",
        "Đọc lại tin nhắn cũ của người ấy, nước mắt cứ rơi.",
        "Bị cho nghỉ việc đúng lúc vợ sắp sinh, không biết sống sao.",
        "Cây mai ông trồng năm xưa giờ đã héo khô.",
        "Tốt nghiệp rồi, lớp mình mỗi đứa một nơi, tiếc nuối quá.",
        "Mẹ nằm viện mà mình ở xa không chăm được, xót lắm.",
        "Cố gắng mấy cũng không được ai ghi nhận, mệt mỏi quá.",
        "Căn nhà tuổi thơ bị giải tỏa, giờ chỉ còn trong trí nhớ.",
        "Đội nhà thua phút bù giờ, cả đám ngồi im không ai nói gì.",
        "Ba mẹ ly hôn, tui không biết nên ở với ai.",
        "Nhìn ảnh cũ thấy nhớ những ngày còn đi học quá.",
        "Cô giáo cũ vừa qua đời, nghe tin mà lặng người.",
        "Con bé cứ hỏi ba đâu, mình không biết trả lời sao.",
        "Lũ cuốn trôi hết hoa màu, bà con trắng tay, thương quá.",
        "Mất ví, mất luôn tấm ảnh duy nhất chụp với bà.",
        "Càng lớn càng ít bạn, cuối tuần chỉ biết nằm nhà.",
        "Làm hỏng việc cả nhóm, thấy mình vô dụng ghê.",
        "Người yêu cũ cưới rồi, chúc phúc mà lòng nặng trĩu.",
        "Con chó nuôi từ nhỏ bị bắt trộm mất, buồn cả tuần.",
        "Gửi bao nhiêu hồ sơ mà không nơi nào gọi lại.",
        "Chiều mưa nhớ nhà, thèm một bữa cơm mẹ nấu.",
        "Bị bạn thân phản bội, giờ không biết tin ai nữa.",
        "Ngày giỗ ba, cả nhà ngồi lặng im bên mâm cơm.",
        "Hồi nhỏ nhà nghèo, Tết nào cũng không có áo mới.",
        "Đi học xa nhà, đêm nào cũng nằm khóc một mình.",
        "Thi rớt lần thứ ba, không dám nhìn mặt ba mẹ.",
    ),
    "Surprise": (
        "Ủa, sao tự nhiên có tin nhắn báo trúng thưởng vậy trời?",
        "Trời đất ơi, mới mấy năm không gặp mà cao dữ vậy!",
        "Không thể tin được, đội hạng chót lại thắng đội đầu bảng!",
        "Ơ, ai để bó hoa trước cửa nhà mình vậy nè?",
        "Thiệt luôn hả? Lớp trưởng với lớp phó quen nhau á?",
        "Mở tủ ra thấy con mèo ngủ trong đó, hết hồn!",
        "Hả? Mới năm ngoái mà giờ giá nhà tăng gấp đôi?",
        "Wow, quán nhỏ xíu mà bên trong rộng thênh thang luôn.",
        "Cô giáo cũ nhận ra mình sau hai mươi năm, bất ngờ thật.",
        "Đang đi đường gặp lại bạn cấp một, trùng hợp ghê!",
        "Trời ơi, tuyết rơi ở Sa Pa thật kìa 😮",
        "Tưởng hết vé rồi, ai ngờ còn đúng một vé cuối.",
        "Ủa, hôm nay sếp đi làm sớm vậy?",
        "Không ngờ thằng em út lại là người đậu thủ khoa.",
        "Cái gì? Mai được nghỉ luôn hả?",
        "Nhìn hóa đơn mà giật mình, sao nhiều vậy ta?",
        "Ơ kìa, cầu vồng đôi luôn mọi người ơi!",
        "Phim kết thúc kiểu này thì không ai đoán nổi!",
        "Trời, con mới ba tuổi mà đọc được chữ rồi hả?",
        "Ủa, ông chủ quán là ca sĩ nổi tiếng hồi xưa hả?",
        "Đang ngồi học thì cả lớp hát mừng sinh nhật, bất ngờ quá trời.",
        "Sáng dậy thấy xe được ai rửa sạch bong, lạ ghê.",
        "Bà ngoại tám mươi tuổi vẫn đi bơi mỗi sáng, thiệt hả trời?",
        "Úi, cái bánh này nhìn nhỏ mà nặng dữ vậy.",
        "Chú hàng xóm trúng xổ số độc đắc, cả xóm ngỡ ngàng.",
        "Vừa nhắc tới là nó gọi điện liền, sao trùng hợp vậy!",
        "Thật không vậy, điểm thi môn Toán được mười hả?",
        "Ủa, con đường này mới tuần trước còn là ruộng mà.",
        "Ơ, sao đèn tự bật lên vậy?",
        "Chuyển khoản nhầm mà người ta trả lại đủ, bất ngờ luôn.",
        "Gì vậy trời, mới đăng năm phút mà một nghìn lượt thích.",
        "Đi chợ gặp ca sĩ thần tượng, đứng hình mất mấy giây.",
        "Ủa, ai đặt pizza giao tới nhà mình vậy?",
        "Không tin nổi luôn, con chó tự mở được cửa tủ lạnh!",
    ),
}

# Sarcasm, or wording that reads as another emotion (or none): only the voice tells the label.
_TEXT_AMBIGUOUS: dict[str, tuple[str, ...]] = {
    "Anger": (
        "Ừ, giỏi lắm, cứ tiếp tục như vậy đi.",  # reads as praise
        "Được rồi, để tui tự làm, khỏi phiền ai hết.",  # reads as neutral
        "Cảm ơn nhiều nha, nhờ bạn mà tui trễ chuyến bay.",  # sarcastic thanks
        "Vâng, anh nói gì cũng đúng hết.",  # sarcastic agreement
        "Hay quá ha, lại quên sinh nhật tui nữa rồi.",  # sarcasm, reads as enjoyment
        "Mai tui lên công ty nói chuyện thẳng với sếp.",  # reads as neutral
        "Ờ, tùy, muốn làm gì thì làm.",  # reads as neutral or sad
        "Thật hả, lại tăng giá nữa hả?",  # reads as surprise
        "Tuyệt vời, mất điện đúng lúc đang nấu cơm.",  # sarcasm, reads as enjoyment
    ),
    "Disgust": (
        "Ờ, đẹp ghê ha, cái kiểu ăn mặc đó.",  # sarcasm, reads as enjoyment
        "Thôi khỏi, tui no rồi.",  # refusing food, reads as neutral
        "Ăn hết đi, tui nhường cho đó.",  # reads as neutral or kind
        "Vậy mà cũng gọi là nghệ thuật hả trời.",  # reads as surprise
        "Nghe nói quán đó vừa bị phạt vì mất vệ sinh.",  # news-like, reads as neutral
        "Giỏi thật, nói dối không chớp mắt luôn.",  # sarcasm, reads as praise or surprise
        "Ừ thì cũng là một cách kiếm tiền.",  # reads as neutral
        "Trời đất, cái gì dính trên bàn vậy?",  # reads as surprise
    ),
    "Enjoyment": (
        "Ủa, thiệt hả?",  # reads as surprise
        "Mai mình bắt đầu đi làm ở công ty mới.",  # reads as neutral
        "Trời ơi, không tin được luôn á.",  # reads as surprise
        "Tui khóc luôn rồi nè mọi người.",  # tears of joy, reads as sadness
        "Thôi xong, nghiện quán này mất rồi.",  # reads as negative
        "Kết quả có rồi đó, vào xem đi.",  # reads as neutral
        "Chết rồi, đáng yêu quá đi mất.",  # "chết rồi" reads as fear
        "Tối nay ra bờ hồ như mọi khi nha.",  # reads as neutral
    ),
    "Fear": (
        "Mai mình đi lấy kết quả xét nghiệm.",  # reads as neutral
        "Ai đó? Có ai ngoài đó không?",  # reads as neutral or surprise
        "Ủa, cửa nhà ai mở vậy?",  # reads as surprise
        "Gọi cho mẹ hoài mà không ai bắt máy.",  # reads as neutral or sad
        "Chắc không sao đâu ha?",  # reads as neutral
        "Tối nay chỉ có mình tui ở nhà thôi.",  # reads as neutral
        "Trời ơi, cái gì vậy?",  # reads as surprise
        "Sáng mai là công bố danh sách cắt giảm rồi.",  # reads as neutral
    ),
    "Neutral": (
        "Nghe nói phim ma mới ra khá đáng sợ.",  # fear words, said flatly
        "Hôm qua bạn mình kể chuyện bị mất ví.",  # sad topic, reported
        "Bài hát tên là Vui Lên Đi Em.",  # enjoyment words in a title
        "Tin tức nói cơn bão đang vào gần bờ.",  # fear topic, reported
        "Thầy bảo mai kiểm tra mười lăm phút.",  # reads as fear
        "Ủa, hôm nay thứ mấy vậy?",  # "ủa" reads as surprise
        "Cái quán bị chê dơ hôm trước đóng cửa rồi.",  # disgust words, reported
        "Người ta cãi nhau ngoài đầu hẻm từ sáng.",  # anger topic, reported
    ),
    "Sadness": (
        "Ừ, không sao đâu, quen rồi.",  # reads as neutral
        "Thôi, mọi người cứ đi vui vẻ nha.",  # enjoyment words
        "Hôm nay là ngày cuối mình làm ở đây.",  # reads as neutral
        "Chúc mừng hai bạn nha, trăm năm hạnh phúc.",  # congratulating an ex, reads as enjoyment
        "Mai mình dọn đồ về quê luôn.",  # reads as neutral
        "Căn phòng này giờ chỉ còn mình tui.",  # reads as neutral
        "Vậy là hết thật rồi hả?",  # reads as surprise
        "Ai cũng có đôi có cặp, hay ghê.",  # reads as enjoyment
    ),
    "Surprise": (
        "Vậy hả.",  # reads as neutral
        "Ổng về rồi đó.",  # reads as neutral
        "Năm nay Tết rơi vào tháng một.",  # reads as neutral
        "Mình trúng tuyển rồi.",  # reads as enjoyment
        "Cô ấy nghỉ việc rồi.",  # reads as neutral or sad
        "Cái ví nằm ngay trên bàn nè.",  # reads as neutral
        "Chết cha, quên mất hôm nay kiểm tra!",  # reads as fear
        "Hai người đó chia tay rồi đó.",  # reads as sad
    ),
}

SENTENCES: tuple[DemoSentence, ...] = tuple(
    DemoSentence(label, text, text_ambiguous=ambiguous)
    for table, ambiguous in ((_CLEAR, False), (_TEXT_AMBIGUOUS, True))
    for label, texts in table.items()
    for text in texts
)

__all__ = ["SENTENCES", "DemoSentence"]
